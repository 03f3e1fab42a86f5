"""Sources: one module per URL scheme, each a Source that parses and refuses
its own options (pyserial's protocol handlers are the model)."""
import pytest

from ballsense import cli
from ballsense.errors import UserError
from ballsense.sources import Source, open_source, source_class


@pytest.mark.parametrize("url, words", [
    ("sim://hold?sede=3", "sim:// has no option 'sede': its options are seed, speed, sensor, imu, heapsize, "
                          "fault, mpy"),
    ("serial:///dev/ttyACM0?baudrat=9600", "serial:// has no option 'baudrat': its options are baudrate"),
    ("socket://127.0.0.1:7000?baud=1", "socket:// has no option 'baud': its options are baudrate"),
    ("ble://ball?giveup=3", "ble:// has no option 'giveup': its options are give_up, scan"),
    ("sim+ble://hold?disconnect=3", "sim+ble:// has no option 'disconnect': its options are seed, speed"),
    ("file://x.rec?speed=2", "file:// has no option 'speed': its options are none"),
    ("sim://hold?imu=maybe", "sim:// option imu maybe: give 1 or 0"),
    ("sim://hold?seed=x", "sim:// option seed x is not a whole number"),
    ("sim+ble://hold?interval_ms=fast", "sim+ble:// option interval_ms fast is not a number"),
    ("nope://x", "unknown source 'nope://x'"),
    ("base://x", "unknown source 'base://x'"),
])
def test_an_unknown_or_bad_option_is_refused_naming_what_is_known(url, words):
    with pytest.raises(UserError) as e:
        open_source(url)
    assert str(e.value).startswith(words) and "\n" not in str(e.value)


def test_the_command_line_says_it_in_one_line_and_starts_nothing(capsys, tmp_path):
    code = cli.main(["record", "sim://hold?sede=3", "--seconds", "1", "-o", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "has no option 'sede'" in err
    assert not (tmp_path / "x.csv").exists()


def test_options_arrive_typed():
    src = open_source("sim://hold?seed=3&speed=2&imu=0&mpy=yes")
    assert (src.seed, src.speed, src.imu, src.mpy) == (3, 2, False, True)
    assert isinstance(src, Source) and src.commands and src.on_link("lost") is None


@pytest.mark.parametrize("scheme", ["sim", "sim+ble", "serial", "socket", "rfc2217", "ble", "file"])
def test_every_scheme_is_a_source_with_its_options(scheme):
    cls = source_class(scheme)
    assert issubclass(cls, Source) and isinstance(cls.OPTIONS, dict)
