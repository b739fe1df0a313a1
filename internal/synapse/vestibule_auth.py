"""Vestibule password provider for Synapse (current module API).

Synapse asks Vestibule to check m.login.password logins for local-mode accounts. On the first successful login the
Matrix user is created with the display name and email address Vestibule has for the account; later logins keep the
display name in step. Install: see internal/README.md.

    modules:
      - module: vestibule_auth.VestibulePasswordProvider
        config:
          endpoint: "http://127.0.0.1:8091"   # Vestibule's internal.listen
          secret: "…"                          # Vestibule's internal.secret (optional but recommended)
          timeout: 10                          # seconds
"""

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Tuple

from synapse.module_api import ModuleApi
from synapse.module_api.errors import ConfigError
from synapse.types import UserID

logger = logging.getLogger(__name__)


class VestibulePasswordProvider:
    def __init__(self, config: Dict[str, Any], api: ModuleApi):
        self._api = api
        self._endpoint = config["endpoint"].rstrip("/")
        self._headers = {"Authorization": ["Bearer " + config["secret"]]} if config.get("secret") else {}
        api.register_password_auth_provider_callbacks(
            auth_checkers={("m.login.password", ("password",)): self.check_password},
        )

    @staticmethod
    def parse_config(config: Dict[str, Any]) -> Dict[str, Any]:
        endpoint = config.get("endpoint")
        if not isinstance(endpoint, str) or not endpoint.startswith(("http://", "https://")):
            raise ConfigError("vestibule_auth: 'endpoint' must be the http(s) URL of Vestibule's internal API")
        if "secret" in config and not isinstance(config["secret"], str):
            raise ConfigError("vestibule_auth: 'secret' must be a string")
        return config

    async def _post(self, path: str, body: Dict[str, Any]) -> Dict[str, Any]:
        return await self._api.http_client.post_json_get_json(self._endpoint + path, body, headers=self._headers)

    async def _profile(self, user_id: str, localpart: str) -> Tuple[Optional[str], Optional[str]]:
        """Display name and email address Vestibule keeps for the account (None when it has none)."""
        query = {"mxid": user_id, "localpart": localpart, "domain": self._api.server_name}
        display_name = email = None
        try:
            profile = (await self._post("/_ma1sd/backend/api/v1/profile/displayName", query)).get("profile") or {}
            display_name = profile.get("display_name")
            profile = (await self._post("/_ma1sd/backend/api/v1/profile/threepids", query)).get("profile") or {}
            emails = [t.get("address") for t in profile.get("threepids") or [] if t.get("medium") == "email"]
            email = emails[0] if emails else None
        except Exception:
            logger.warning("vestibule_auth: could not read the profile of %s", user_id, exc_info=True)
        return display_name, email

    async def check_password(
        self, username: str, login_type: str, login_dict: Dict[str, Any]
    ) -> Optional[Tuple[str, Optional[Callable[[Any], Awaitable[None]]]]]:
        password = login_dict.get("password")
        if not isinstance(password, str):
            return None
        try:
            user_id = self._api.get_qualified_user_id(username.lower())
        except Exception:
            return None
        try:
            result = await self._post("/_matrix-internal/identity/v1/check_credentials", {"user": {"id": user_id, "password": password}})
        except Exception:
            # Vestibule unreachable: refuse rather than guess; Synapse's own password store may still answer.
            logger.warning("vestibule_auth: check_credentials failed for %s", user_id, exc_info=True)
            return None
        if not isinstance(result, dict) or (result.get("auth") or {}).get("success") is not True:
            return None

        localpart = UserID.from_string(user_id).localpart
        display_name, email = await self._profile(user_id, localpart)
        if not await self._api.check_user_exists(user_id):
            user_id = await self._api.register_user(localpart, displayname=display_name, emails=[email] if email else [])
            logger.info("vestibule_auth: created %s on first login", user_id)
        elif display_name:
            try:
                current = await self._api.get_profile_for_user(localpart)
                if current.display_name != display_name and hasattr(self._api, "set_displayname"):
                    await self._api.set_displayname(UserID.from_string(user_id), display_name)
            except Exception:
                logger.warning("vestibule_auth: could not update the display name of %s", user_id, exc_info=True)
        return user_id, None
