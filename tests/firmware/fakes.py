# Stand-ins for what the checks drive by hand: a virtual clock (time advances
# only when slept or stepped) and a link that keeps what is sent.


from ballsense_fw.boards.sim_clock import TICKS_MASK


class VirtualClock:
    MASK = TICKS_MASK
    HALF = 1 << 29

    def __init__(self, overhead_us=0):
        self.now = 123456
        self.overhead_us = overhead_us  # added on every read, like code running

    def ticks_us(self):
        self.now = (self.now + self.overhead_us) & self.MASK
        return self.now

    def ticks_ms(self):
        return (self.ticks_us() // 1000) & self.MASK

    def ticks_add(self, a, b):
        return (a + b) & self.MASK

    def ticks_diff(self, a, b):
        return ((a - b + self.HALF) & self.MASK) - self.HALF

    def sleep_us(self, us):
        self.now = (self.now + us) & self.MASK


class ListLink:
    name = "test"

    def __init__(self):
        self.sent = []
        self.inbox = []
        self.connected = True

    def send(self, frame):
        self.sent.append(frame)

    def commands(self):
        got, self.inbox = self.inbox, []
        return got


def raises(exc, fn, *args):
    try:
        fn(*args)
    except exc as e:
        return e
    raise AssertionError("%s not raised by %s%r" % (exc.__name__, getattr(fn, "__name__", fn), args))


def fresh_app():
    """The firmware's App on the emulated board with a default config file
    and a list link: -> (app, link)."""
    import os
    from ballsense_fw import config
    from ballsense_fw.app import App
    from ballsense_fw.boards import sim
    try:
        os.remove(config.FILE)
    except OSError:
        pass
    cfg = dict(config.DEFAULTS)
    cfg["board"] = "sim"
    config.save(cfg)
    link = ListLink()
    return App(sim, [link]), link
