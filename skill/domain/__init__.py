"""The IO-free core: catalog, cart, money and orders.

Rule for this package (as Flask's ``sansio``): no IO, no globals, and no imports
of ASK, Flask, boto3 or sqlite3. Everything here is plain data and pure
functions, so every adapter (Lambda, web, simulator, stores) shares one truth.
"""
