"""Access: the read retry/timeout policy it hands to Icechunk, obstore and s3fs, and its repr."""

from __future__ import annotations

from datetime import timedelta

import pytest

from vstore_explorer.stores.access import Access, S3Credentials


def test_default_read_policy_is_bounded():
    settings = Access().icechunk_storage_settings()
    assert settings.retries.max_tries == 6
    assert (settings.retries.initial_backoff_ms, settings.retries.max_backoff_ms) == (200, 2000)
    timeouts = settings.timeouts
    assert (timeouts.connect_timeout_ms, timeouts.read_timeout_ms) == (3333, 3333)
    assert timeouts.operation_timeout_ms == 10_000


def test_a_slow_link_raises_retries_and_timeouts_everywhere():
    access = Access(retries=8, timeout_s=60)
    settings = access.icechunk_storage_settings()
    assert settings.retries.max_tries == 9
    assert settings.timeouts.connect_timeout_ms == 20_000
    assert settings.timeouts.operation_timeout_ms == 60_000
    retry = access.obstore_options()["retry_config"]
    assert retry["max_retries"] == 8 and retry["retry_timeout"] == timedelta(seconds=60)
    assert access.obstore_options()["client_options"]["connect_timeout"] == timedelta(seconds=20)
    boto = access.fsspec_options("s3://bucket/key")["config_kwargs"]
    assert boto == {"retries": {"total_max_attempts": 4, "mode": "standard"}, "connect_timeout": 20}


def test_short_timeouts_keep_at_least_one_second_per_attempt():
    settings = Access(retries=0, timeout_s=0.5).icechunk_storage_settings()
    assert settings.retries.max_tries == 1
    assert settings.timeouts.connect_timeout_ms == 1000
    assert settings.timeouts.operation_timeout_ms == 500


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"retries": -1}, "retries"),
        ({"retries": 2.5}, "retries"),
        ({"retries": True}, "retries"),
        ({"timeout_s": 0}, "timeout_s"),
        ({"timeout_s": "10"}, "timeout_s"),
    ],
)
def test_bad_policy_values_are_refused_naming_the_option(kwargs, named):
    with pytest.raises(ValueError, match=rf"Access\({named}=\.\.\.\)"):
        Access(**kwargs)


def test_repr_shows_a_non_default_policy_and_never_the_keys():
    access = Access(credentials=S3Credentials("AKIDEXAMPLE", "s3cr3t"), retries=1, timeout_s=2.5)
    assert repr(access) == (
        "Access(endpoint_url=None, region=None, credentials=***, retries=1, timeout_s=2.5)"
    )
    assert repr(Access()) == "Access(endpoint_url=None, region=None)"
    assert "s3cr3t" not in str(access) and "AKIDEXAMPLE" not in str(access)


def test_aws_credentials_are_found_in_the_environment_or_the_shared_files(tmp_path):
    from vstore_explorer.stores.aws_environment import s3_credentials_in_environment

    home = {"HOME": str(tmp_path)}
    assert not s3_credentials_in_environment(home)
    assert s3_credentials_in_environment(home | {"AWS_PROFILE": "nasa"})
    assert s3_credentials_in_environment(home | {"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/token"})
    assert not s3_credentials_in_environment(home | {"AWS_ACCESS_KEY_ID": ""})  # set but empty
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text("[default]\n")
    assert s3_credentials_in_environment(home)
    elsewhere = home | {"AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    (tmp_path / ".aws" / "credentials").unlink()
    assert not s3_credentials_in_environment(elsewhere)


def test_a_container_without_a_grant_uses_the_environment_else_is_refused(tmp_path, monkeypatch):
    import icechunk

    from vstore_explorer.stores.access import ContainerAccessError

    for name in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(ContainerAccessError, match="AWS_ACCESS_KEY_ID"):
        Access().icechunk_container_credential("s3://bucket/granules/")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    credential = Access().icechunk_container_credential("s3://bucket/granules/")
    assert type(credential) is type(icechunk.s3_from_env_credentials())  # the AWS chain's
    assert "AKIDEXAMPLE" not in repr(credential)
