# Runs before main.py on every reset. Nothing to set up yet: kept so flashing
# owns a known boot.py rather than whatever the board shipped with.
