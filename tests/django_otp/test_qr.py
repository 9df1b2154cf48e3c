"""django_otp.qr: the SVG QR codes, read back by a real QR reader."""

import base64
import io
import random
import re
import subprocess
import sys

import pytest

from django_otp import qr

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")


def read_back(data, scale=4):
    """Draw ``data`` as the module's QR code does, as pixels, and decode it with zxing-cpp."""
    code = qr.make(data)
    border = 4
    size = (len(code.matrix) + 2 * border) * scale
    image = Image.new("L", (size, size), 255)
    for y, row in enumerate(code.matrix):
        for x, dark in enumerate(row):
            if dark:
                left, top = (x + border) * scale, (y + border) * scale
                image.paste(0, (left, top, left + scale, top + scale))
    # Only QR codes: now and then a row of modules looks like an ITF barcode to zxing-cpp, as for
    # URL 276 here (segno's symbols do it for 460, 711 and 816), and no authenticator looks for those.
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [result.text for result in results]


def otpauth_url(i):
    secret = base64.b32encode(random.Random(i).randbytes(20 + i % 21)).decode().rstrip("=")
    return (f"otpauth://totp/Example%20Site%3Auser{i}%40example.com?secret={secret}"
            f"&issuer=Example%20Site&digits={6 + i % 3}")


@pytest.mark.parametrize("batch", range(4))
def test_otpauth_urls_read_back(batch):
    for i in range(batch * 75, (batch + 1) * 75):
        url = otpauth_url(i)
        assert read_back(url) == [url]


def test_the_svg_is_a_standalone_drawing():
    out = io.BytesIO()
    qr.write_qrcode_image("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", out)
    svg = out.getvalue().decode()
    assert svg.startswith("<svg") and 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert "<path" in svg and "<?xml" not in svg
    assert qr.qrcode_svg("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP").startswith("<svg")


# The encoder against segno, used only as a black box through its public API.

try:
    import segno
except ImportError:  # the tests that need no oracle still run
    segno = None
needs_segno = pytest.mark.skipif(segno is None, reason="segno is the test oracle")

ALL_MASKS_VERSIONS = {1: "L", 2: "M", 7: "Q", 10: "H", 27: "M", 40: "H"}  # version: level


@pytest.fixture
def segno_padding(monkeypatch):
    """Pad the data codewords as segno 1.6 does, so that whole symbols can be compared with its.

    In byte mode, the mode indicator, count, data and a full 4-bit terminator always end on a byte
    boundary. The standard then goes straight on with the pad codewords 0xEC 0x11 ...; segno first
    adds eight more zero bits, a 0x00 codeword, whenever there is room for it. Readers stop at the
    terminator, so both read the same, but the symbols differ.
    """
    standard = qr._data_bytes

    def padded_like_segno(data, version, level):
        codewords = standard(data, version, level)
        used = (4 + qr._count_bits(version) + 8 * len(data) + 4) // 8
        if used >= len(codewords):
            return codewords
        return codewords[:used] + b"\0" + codewords[used:-1]

    monkeypatch.setattr(qr, "_data_bytes", padded_like_segno)


def capacity(version, level):
    """The most bytes that fit ``version`` at ``level``."""
    return (8 * qr._data_codewords(version, level) - 4 - qr._count_bits(version)) // 8


def text(length, seed):
    return "".join(random.Random(seed).choices("abcdefghijklmnopqrstuvwxyz0123456789:/?&=%.", k=length))


def segno_matrix(data, level, version, mask):
    code = segno.make(data, error=level, version=version, mask=mask, mode="byte", micro=False,
                      boost_error=False)
    return [list(row) for row in code.matrix]


def our_matrix(data, level, version, mask):
    code = qr.make(data, level, version=version, mask=mask, boost_error=False)
    assert (code.version, code.error, code.mask) == (version, level, mask)
    return [list(row) for row in code.matrix]


@needs_segno
@pytest.mark.parametrize("version", range(1, 41))
def test_every_version_and_level_matches_segno(version, segno_padding):
    for number, level in enumerate("LMQH"):
        # The shortest data that needs this version and, for every other one, the longest.
        shortest = capacity(version - 1, level) + 1 if version > 1 else 1
        length = capacity(version, level) if (version + number) % 2 else shortest
        data = text(length, seed=version * 4 + number)
        if ALL_MASKS_VERSIONS.get(version) == level:
            masks = range(8)
        else:
            masks = [(version + 3 * number) % 8]
        for mask in masks:
            assert our_matrix(data, level, version, mask) == segno_matrix(data, level, version, mask), (
                version, level, length, mask)


@needs_segno
def test_the_full_symbol_needs_no_padding_so_it_matches_segno_as_it_is():
    data = text(capacity(7, "M"), seed=7)
    assert our_matrix(data, "M", 7, 5) == segno_matrix(data, "M", 7, 5)


@needs_segno
def test_codewords_are_padded_as_the_standard_says():
    # 0100 (byte mode), 00000011 (3 bytes), "abc", 0000 (terminator), then 0xEC 0x11 ...
    assert qr._data_bytes(b"abc", 1, "M") == bytes.fromhex("4036162630ec11ec11ec11ec11ec11ec")
    # segno, where the padding differs, draws a different symbol for the same choices.
    assert our_matrix("abc", "M", 1, 0) != segno_matrix("abc", "M", 1, 0)


@needs_segno
@pytest.mark.parametrize("batch", range(3))
def test_version_level_and_mask_are_segnos(batch, segno_padding):
    for i in range(batch * 100, (batch + 1) * 100):
        url = otpauth_url(i)
        ours, theirs = qr.make(url), segno.make(url, error="m", micro=False)
        assert (ours.version, ours.error, ours.mask) == (theirs.version, theirs.error, theirs.mask), i


@needs_segno
def test_version_and_level_do_not_depend_on_the_padding():
    for i in range(0, 300, 7):
        url = otpauth_url(i)
        ours, theirs = qr.make(url), segno.make(url, error="m", micro=False)
        assert (ours.version, ours.error) == (theirs.version, theirs.error)


# The penalty rules, against a plain module-by-module count.

def reference_penalty(matrix):
    """ISO/IEC 18004's four rules, counted one module at a time.

    N3 with segno's reading: the quiet zone is light, and light on both sides counts once.
    """
    size = len(matrix)
    columns = [[row[c] for row in matrix] for c in range(size)]
    score = 0
    for line in [*matrix, *columns]:
        for run in re.findall("0{5,}|1{5,}", "".join(map(str, line))):
            score += 3 + len(run) - 5
        outside = "0000" + "".join(map(str, line)) + "0000"  # the quiet zone is light
        for i in range(4, len(outside) - 10):
            if outside[i:i + 7] == "1011101" and "0000" in (outside[i - 4:i], outside[i + 7:i + 11]):
                score += 40
    for r in range(size - 1):
        for c in range(size - 1):
            if matrix[r][c] == matrix[r][c + 1] == matrix[r + 1][c] == matrix[r + 1][c + 1]:
                score += 3
    dark = sum(map(sum, matrix))
    percent = 100 * dark / (size * size)
    return score + 10 * int(abs(percent - 50) // 5)


@pytest.mark.parametrize("i", [0, 1, 150, 299])
def test_penalty_counts_the_rules(i):
    url = otpauth_url(i)
    code = qr.make(url)
    layout = qr._layout(code.version)
    unmasked = layout.unmasked(qr._codewords(url.encode(), code.version, code.error))
    scores = []
    for pattern in layout.masks:
        # What is scored: the masked symbol before the format and version information and the dark
        # module are drawn (they are light), as segno does it.
        packed = unmasked ^ pattern
        bits = format(packed, f"0{layout.length}b")
        matrix = [[int(bits[layout.first + r * layout.stride + c]) for c in range(layout.size)]
                  for r in range(layout.size)]
        scores.append(qr._penalty(layout, packed))
        assert scores[-1] == reference_penalty(matrix)
    assert code.mask == scores.index(min(scores))


# Capacity.

def test_the_largest_input_fits_version_40_and_one_byte_more_does_not():
    largest = "x" * capacity(40, "M")
    assert len(largest) == 2331
    code = qr.make(largest)
    assert (code.version, code.error, len(code.matrix)) == (40, "M", 177)
    with pytest.raises(ValueError, match="2332 bytes do not fit"):
        qr.make(largest + "x")


def test_the_largest_input_reads_back():
    largest = text(capacity(40, "M"), seed=40)
    assert read_back(largest, scale=2) == [largest]


@needs_segno
def test_the_empty_string_is_version_1(segno_padding):
    code, theirs = qr.make(""), segno.make("", error="m", micro=False)
    assert (code.version, code.error) == (1, "H")
    assert (code.mask, [list(row) for row in code.matrix]) == (theirs.mask, segno_matrix("", "H", 1, theirs.mask))
    # (zxing-cpp reports no symbol with empty content, segno's or ours, so it cannot check this one.)


def test_non_ascii_is_utf8():
    assert read_back("otpauth://totp/Bücher%20&%20Café:zoë?secret=JBSWY3DPEHPK3PXP") == [
        "otpauth://totp/Bücher%20&%20Café:zoë?secret=JBSWY3DPEHPK3PXP"]


# The SVG.

def drawn_modules(svg):
    """The modules the path's horizontal strokes cover, as (row, column), quiet zone removed."""
    path = re.search(' d="([^"]*)"', svg).group(1)
    x = y = 0.0
    modules = []
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            modules += [(int(y - 0.5) - 4, int(x) + i - 4) for i in range(int(a))]
            x += int(a)
    return modules


@pytest.mark.parametrize("i", [0, 77, 299])
def test_the_svg_draws_exactly_the_dark_modules(i):
    url = otpauth_url(i)
    svg = qr.qrcode_svg(url)
    matrix = qr.make(url).matrix
    size = len(matrix)
    pixels = (size + 8) * 4
    assert svg.startswith(f'<svg xmlns="http://www.w3.org/2000/svg" width="{pixels}" '
                          f'height="{pixels}" viewBox="0 0 {size + 8} {size + 8}"')
    assert svg.count("<path") == 1 and svg.endswith("</svg>")
    drawn = drawn_modules(svg)
    assert len(drawn) == len(set(drawn))
    assert set(drawn) == {(r, c) for r, row in enumerate(matrix) for c, dark in enumerate(row) if dark}
    out = io.BytesIO()
    qr.write_qrcode_image(url, out)
    assert out.getvalue() == svg.encode()


def test_segno_is_not_needed_at_run_time():
    script = ("import io, sys, django_otp.qr as qr; qr.write_qrcode_image('x', io.BytesIO()); "
              "assert 'segno' not in sys.modules")
    subprocess.run([sys.executable, "-c", script], check=True)
