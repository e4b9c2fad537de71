from . import lookup, webhook
