# Saves customers.xls again with a password ("dytns"), through LibreOffice's UNO API
# (soffice --convert-to has no password option). Run with the python that has uno:
#
#   soffice --headless --accept='socket,host=127.0.0.1,port=2002;urp;' &
#   /usr/bin/python3 readers/testdata/make_xls_password.py samples/customers.xls readers/testdata/password.xls
import os
import sys
import time

import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


src, dst = (os.path.abspath(a) for a in sys.argv[1:3])
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
for _ in range(60):
    try:
        ctx = resolver.resolve("uno:socket,host=127.0.0.1,port=2002;urp;StarOffice.ComponentContext")
        break
    except Exception:
        time.sleep(0.5)
desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(src), "_blank", 0, (prop("Hidden", True),))
doc.storeToURL(uno.systemPathToFileUrl(dst), (prop("FilterName", "MS Excel 97"), prop("Password", "dytns")))
doc.close(True)
