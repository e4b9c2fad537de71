from . import lookup, recording, webhook
