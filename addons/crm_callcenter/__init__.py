from . import controllers, models, tools
