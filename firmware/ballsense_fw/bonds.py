# The bond store behind the BLE stack's _IRQ_GET_SECRET / _IRQ_SET_SECRET:
# keys of paired hosts, kept in a small JSON file so bonds survive a reboot.
# The stack calls get/set from its IRQ, so they touch only RAM; the main loop
# writes the file (save) when something changed.
import json

FILE = "bonds.json"
MAX_ENTRIES = 16  # a few hosts x (our keys, their keys, subscriptions); oldest go first


def _hex(b):
    return "".join("%02x" % x for x in b)


class Bonds:
    def __init__(self, path=FILE):
        self.path = path
        self.entries = []  # [sec_type, key bytes, value bytes], newest last
        self.dirty = False
        try:
            with open(path) as f:
                for t, k, v in json.load(f):
                    self.entries.append([int(t), bytes.fromhex(k), bytes.fromhex(v)])
        except (OSError, ValueError, TypeError):
            self.entries = []  # none yet, or unreadable: pair again

    def get(self, sec_type, index, key):
        """The value for (sec_type, key); with key None, the index'th of that type."""
        i = 0
        for t, k, v in self.entries:
            if t != sec_type:
                continue
            if key is None:
                if i == index:
                    return v
                i += 1
            elif k == key:
                return v
        return None

    def set(self, sec_type, key, value):
        key = bytes(key)
        self.entries = [e for e in self.entries if not (e[0] == sec_type and e[1] == key)]
        if value is not None:
            self.entries.append([sec_type, key, bytes(value)])
            del self.entries[:-MAX_ENTRIES]
        self.dirty = True
        return True

    def count(self):
        return len(self.entries)

    def forget_all(self, keep=None):
        """Drop every bond but the one under key `keep`."""
        self.entries = [e for e in self.entries if keep is not None and e[1] == keep]
        self.dirty = True

    def save(self):
        if not self.dirty:
            return
        self.dirty = False
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump([[t, _hex(k), _hex(v)] for t, k, v in self.entries], f)
        import os
        os.rename(tmp, self.path)
