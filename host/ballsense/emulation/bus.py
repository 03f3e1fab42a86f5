"""The emulated BlueZ's D-Bus connection: dbus-fast's bus, made to behave as
bluetoothd's (gdbus) where a client can tell the difference.

- One ObjectManager, on `/`: InterfacesAdded and InterfacesRemoved are sent
  from `/` (dbus-fast sends them from the object's own path, which
  bluetoothctl never hears), `Introspect /` lists the interface, and
  GetManagedObjects answers on `/` only.
- Optional properties ("[optional]" in BlueZ's API documents): an
  interface's `absent()` names the ones that do not exist at the moment (a
  device's Name before anything told it, RSSI outside discovery). They are
  left out of GetAll, GetManagedObjects, InterfacesAdded and
  PropertiesChanged, and Get answers InvalidArgs, as gdbus does.
- The caller: while a method runs, SENDER holds the unique bus name of the
  client that called it (BlueZ keeps discovery sessions, notification
  sessions and agents per client), and `on_gone(name)` runs when a client
  leaves the bus.
"""
import contextvars

from dbus_fast import DBusError, Message, Variant
from dbus_fast import introspection as intr
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface

SENDER = contextvars.ContextVar("sender", default=None)
OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager"
_OM_XML = f"""<node><interface name="{OBJECT_MANAGER}">
 <method name="GetManagedObjects"><arg name="objects" type="a{{oa{{sa{{sv}}}}}}" direction="out"/></method>
 <signal name="InterfacesAdded"><arg name="object" type="o"/><arg name="interfaces" type="a{{sa{{sv}}}}"/></signal>
 <signal name="InterfacesRemoved"><arg name="object" type="o"/><arg name="interfaces" type="as"/></signal>
</interface></node>"""
_MATCH_GONE = "type='signal',sender='org.freedesktop.DBus',interface='org.freedesktop.DBus',member='NameOwnerChanged'"


class Interface(ServiceInterface):
    """A ServiceInterface whose optional properties may be absent."""

    def absent(self):
        return ()

    def changed(self, props, invalidated=()):
        """PropertiesChanged for the properties that exist; `invalidated` for those that just went."""
        gone = set(self.absent())
        props = {k: v for k, v in props.items() if k not in gone}
        if props or invalidated:
            self.emit_properties_changed(props, list(invalidated))


def properties(iface):
    """{name: Variant} of an interface's readable properties that exist now."""
    gone = set(iface.absent()) if isinstance(iface, Interface) else set()
    return {p.name: Variant(p.signature, getattr(iface, p.name)) for p in ServiceInterface._get_properties(iface)
            if not p.disabled and p.access.readable() and p.name not in gone}


class BluezBus(MessageBus):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.on_gone = lambda name: None

    async def watch_clients(self):
        """Call on_gone(name) whenever a client's unique name leaves the bus."""
        def handler(msg):
            if msg.member == "NameOwnerChanged" and msg.interface == "org.freedesktop.DBus":
                name, old, new = msg.body
                if name.startswith(":") and old and not new:
                    self.on_gone(name)
        self.add_message_handler(handler)
        await self.call(Message(destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                                interface="org.freedesktop.DBus", member="AddMatch", signature="s",
                                body=[_MATCH_GONE]))

    # ---- the ObjectManager lives on / -----------------------------------------

    def _emit_interface_added(self, path, interface):
        if not self._disconnected:
            self.send(Message.new_signal("/", OBJECT_MANAGER, "InterfacesAdded", "oa{sa{sv}}",
                                         [path, {interface.name: properties(interface)}]))

    def _emit_interface_removed(self, path, removed_interfaces):
        if not self._disconnected:
            self.send(Message.new_signal("/", OBJECT_MANAGER, "InterfacesRemoved", "oas",
                                         [path, list(removed_interfaces)]))

    def _introspect_export_path(self, path):
        node = super()._introspect_export_path(path)
        if path == "/":
            node.interfaces.append(intr.Node.parse(_OM_XML).interfaces[0])
        return node

    def _default_get_managed_objects_handler(self, msg, send_reply):
        if msg.path != "/":
            raise DBusError("org.freedesktop.DBus.Error.UnknownMethod",
                            f"Method \"GetManagedObjects\" with signature \"\" on interface \"{OBJECT_MANAGER}\" "
                            "doesn't exist")
        objects = {path: {name: properties(i) for name, i in ifaces.items()}
                   for path, ifaces in self._path_exports.items()}
        send_reply(Message.new_method_return(msg, "a{oa{sa{sv}}}", [objects]))

    # ---- optional properties ---------------------------------------------------

    def _default_properties_handler(self, msg, send_reply):
        iface = self._path_exports.get(msg.path, {}).get(msg.body[0] if msg.body else None)
        if isinstance(iface, Interface):
            if msg.member == "GetAll" and msg.signature == "s":
                send_reply(Message.new_method_return(msg, "a{sv}", [properties(iface)]))
                return
            if msg.member in ("Get", "Set") and msg.body[1] in iface.absent():
                raise DBusError("org.freedesktop.DBus.Error.InvalidArgs", f"No such property '{msg.body[1]}'")
        super()._default_properties_handler(msg, send_reply)

    # ---- who is calling ---------------------------------------------------------

    def _make_method_handler(self, interface, method):
        inner = super()._make_method_handler(interface, method)

        def handler(msg, send_reply):
            token = SENDER.set(msg.sender)  # a coroutine method's task copies it when created
            try:
                inner(msg, send_reply)
            finally:
                SENDER.reset(token)
        return handler


def error(name, text):
    """A BlueZ error reply: org.bluez.Error.<name> with BlueZ's own text (src/error.c)."""
    return DBusError(f"org.bluez.Error.{name}", text)

