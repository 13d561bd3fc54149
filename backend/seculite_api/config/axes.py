"""django-axes: lock out a username + IP pair after repeated failed logins."""

from datetime import timedelta

from seculite_api.env import env

AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Our login API answers lockouts itself in the common JSON error format.
AXES_LOCKOUT_CALLABLE = "apps.accounts.lockout.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)
# Behind nginx every request comes from the proxy's address; nginx sets X-Real-IP itself.
AXES_CLIENT_IP_CALLABLE = "apps.accounts.lockout.client_ip"
AXES_VERBOSE = False
