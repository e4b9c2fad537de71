from . import http_gateway, smsc
from .common import GatewayResult, GatewayStatus
