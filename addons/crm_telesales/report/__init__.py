from . import crm_telesales_report
