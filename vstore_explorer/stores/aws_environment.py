"""Whether the process has AWS credentials of its own: the standard chain (keys or a profile in
the environment, a web identity token, a container role, ``~/.aws`` files) that Icechunk's
``s3_from_env_credentials`` and the exported scripts use.

Only whether they exist is checked; their values are never read here.

Example:
    >>> s3_credentials_in_environment({"AWS_ACCESS_KEY_ID": "AKID", "HOME": "/nonexistent"})
    True
    >>> s3_credentials_in_environment({"HOME": "/nonexistent"})
    False
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",  # IRSA (Kubernetes hubs such as NASA's 2i2c JupyterHubs)
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",  # ECS task roles
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
"""Environment variables that give the AWS credential chain something to use."""


def s3_credentials_in_environment(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``environ`` (default ``os.environ``) names AWS credentials, or the shared
    credentials or config file (``AWS_SHARED_CREDENTIALS_FILE``, ``AWS_CONFIG_FILE``, else
    ``~/.aws/credentials`` and ``~/.aws/config``) exists. An EC2 instance role is not visible
    from here: on EC2 without any of these, pass ``Access(credentials=...)``."""
    env = os.environ if environ is None else environ
    if any(env.get(name) for name in CREDENTIAL_VARIABLES):
        return True
    home = Path(env.get("HOME") or "~").expanduser()
    files = (
        env.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials",
        env.get("AWS_CONFIG_FILE") or home / ".aws" / "config",
    )
    return any(Path(f).is_file() for f in files)
