"""QR codes as SVG, encoded here from ISO/IEC 18004 (byte mode, versions 1 to 40, no Pillow).

We used to call segno, which spends about 80 % of its 13 ms per code scoring the eight masks in
plain Python, one module at a time. This encoder packs the whole symbol into one Python int, so
that applying a mask is one XOR and scoring it a few dozen shifts, ANDs and ``int.bit_count()``
calls over all rows and columns at once: a typical ``otpauth://`` URL (version 7 to 10) is encoded
and written as SVG in about 0.3 ms instead of 12 to 15 ms.

We still score all eight masks and keep the best, although a fixed mask would be faster still and
the standard allows it: when 1,500 ``otpauth://`` URLs were drawn both ways and read back with
zxing-cpp (as ``tests/django_otp/test_qr.py`` does for 300), the fixed mask made three unreadable
that the best mask kept readable: a code the user cannot scan costs more than milliseconds.

Like segno's ``make(data, error="m", micro=False)`` before, the version is the smallest that holds
the data at level M, and the level is then raised to Q or H if the data still fits that version;
and the masks are scored as segno scores them (see ``_Layout`` and ``_finder_like``), so that for
the same codewords the same mask wins. The codewords themselves follow the standard where segno
does not: after the terminator, segno writes a 0x00 codeword before the pad codewords whenever
there is room for it, while the standard goes straight on with 0xEC 0x11.
"""

from __future__ import annotations

import re
from functools import cache
from operator import itemgetter
from typing import TYPE_CHECKING

from ._qrtables import ALIGNMENT_CENTRES, EC_BLOCKS

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

LEVELS = "LMQH"  # the order of EC_BLOCKS
_LEVEL_BITS = {"L": 0b01, "M": 0b00, "Q": 0b11, "H": 0b10}  # as written in the format information

SCALE = 4  # pixels per module
BORDER = 4  # quiet zone, in modules

# Width of the margin of "pad" bits around and between the rows of a packed symbol (see _Layout):
# four, as rule N3 looks for four light modules beside a finder-like pattern, also at the edge.
_PAD = 4


# --- Reed-Solomon over GF(256), reducing by x^8 + x^4 + x^3 + x^2 + 1 (0x11D) -------------------

def _gf_tables() -> tuple[list[int], list[int]]:
    exp, log = [0] * 512, [0] * 256
    value = 1
    for power in range(255):
        exp[power] = exp[power + 255] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= 0x11D
    return exp, log


_EXP, _LOG = _gf_tables()  # exp is doubled so that a product needs no "mod 255"


def _gf_mul(a: int, b: int) -> int:
    return _EXP[_LOG[a] + _LOG[b]] if a and b else 0


@cache
def _rs_products(ec_len: int) -> tuple[int, ...]:
    """For every byte f, f times the generator polynomial without its leading x^ec_len term.

    Each product is packed as one int of ec_len bytes, highest coefficient first, so that one step
    of the division below is a shift and an XOR instead of ec_len multiplications.
    """
    generator = [1]  # prod(x - a^i for i < ec_len), highest coefficient first
    for i in range(ec_len):
        root = _EXP[i]
        generator = [*generator, 0]
        for j in range(len(generator) - 1, 0, -1):
            generator[j] ^= _gf_mul(generator[j - 1], root)
    tail = generator[1:]
    return tuple(int.from_bytes(bytes(_gf_mul(f, g) for g in tail), "big") for f in range(256))


def _rs_ec(block: bytes, ec_len: int) -> bytes:
    """The error correction codewords of ``block``: the remainder of block(x)·x^ec_len / g(x)."""
    products = _rs_products(ec_len)
    top = 8 * (ec_len - 1)
    keep = (1 << 8 * ec_len) - 1
    remainder = 0
    for byte in block:
        remainder = ((remainder << 8) & keep) ^ products[(remainder >> top) ^ byte]
    return remainder.to_bytes(ec_len, "big")


# --- capacity and codewords ----------------------------------------------------------------------

def _bch(value: int, poly: int) -> int:
    """``value`` followed by its BCH check bits: the remainder of value·x^deg(poly) / poly."""
    degree = poly.bit_length() - 1
    remainder = value << degree
    while remainder.bit_length() > degree:
        remainder ^= poly << (remainder.bit_length() - 1 - degree)
    return value << degree | remainder


def _raw_codewords(version: int) -> int:
    """Codewords that fit in the modules left over by the function patterns of ``version``."""
    size = 4 * version + 17
    modules = size * size - 3 * 64 - 2 * (size - 16) - 31  # finders, timing, format, dark module
    count = len(ALIGNMENT_CENTRES[version])
    if count:  # count² - 3 patterns of 25, 2·(count - 2) of them sharing 5 modules with timing
        modules -= 25 * (count * count - 3) - 10 * (count - 2)
    if version >= 7:
        modules -= 2 * 18  # version information
    return modules // 8


def _data_codewords(version: int, level: str) -> int:
    ec_len, blocks = EC_BLOCKS[version][LEVELS.index(level)]
    return _raw_codewords(version) - ec_len * blocks


def _count_bits(version: int) -> int:
    """Width of the byte-mode character count."""
    return 8 if version < 10 else 16


def _fits(length: int, version: int, level: str) -> bool:
    return 4 + _count_bits(version) + 8 * length <= 8 * _data_codewords(version, level)


def _data_bytes(data: bytes, version: int, level: str) -> bytes:
    """Mode indicator, count, data, terminator and padding, as the data codewords."""
    count_bits = _count_bits(version)
    capacity = 8 * _data_codewords(version, level)
    bits = ((0b0100 << count_bits | len(data)) << 8 * len(data)) | int.from_bytes(data, "big")
    length = 4 + count_bits + 8 * len(data)
    fill = min(4, capacity - length)  # the terminator, shortened if the symbol is full
    fill += -(length + fill) % 8  # then zero bits up to a byte boundary
    length += fill
    head = (bits << fill).to_bytes(length // 8, "big")
    padding = capacity // 8 - len(head)
    return head + (b"\xec\x11" * (padding // 2 + 1))[:padding]  # the pad codewords, alternating


def _codewords(data: bytes, version: int, level: str) -> bytes:
    """The final sequence: data codewords and then error correction codewords, interleaved."""
    ec_len, blocks = EC_BLOCKS[version][LEVELS.index(level)]
    payload = _data_bytes(data, version, level)
    short_len, long_blocks = divmod(len(payload), blocks)
    short_blocks = blocks - long_blocks
    data_out = bytearray(len(payload))
    ec_out = bytearray(ec_len * blocks)
    start = 0
    for index in range(blocks):
        end = start + short_len + (index >= short_blocks)
        block = payload[start:end]
        # Byte i of every block comes before byte i + 1 of any: block `index` takes every
        # `blocks`-th place from `index`; the extra byte of a long block goes after all of those.
        data_out[index:blocks * short_len:blocks] = block[:short_len]
        if index >= short_blocks:
            data_out[blocks * short_len + index - short_blocks] = block[short_len]
        ec_out[index::blocks] = _rs_ec(block, ec_len)
        start = end
    return bytes(data_out + ec_out)


# --- the symbol layout of one version, computed once ---------------------------------------------

_MASKS = (  # (row i, column j) -> the module is inverted
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
)
_MASK_PERIOD = 12  # every mask repeats every 12 rows


def _format_positions(size: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """The (row, column) of format bits 0 (least significant) to 14, for each of the two copies."""
    around_top_left = [(i, 8) for i in range(6)] + [(7, 8), (8, 8), (8, 7)]
    around_top_left += [(8, 14 - i) for i in range(9, 15)]
    split = [(8, size - 1 - i) for i in range(8)] + [(size - 15 + i, 8) for i in range(8, 15)]
    return around_top_left, split


def _version_positions(size: int) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """For version bits 0 to 17, their place in the top-right block and in the bottom-left one."""
    return [((i // 3, size - 11 + i % 3), (size - 11 + i % 3, i // 3)) for i in range(18)]


class _Layout:
    """Everything about a version that does not depend on the data.

    A symbol is packed into one int: read as a string of "0"/"1" from the most significant bit,
    it is _PAD light lines, then every row of modules after _PAD light modules, then _PAD light
    lines. The pads stop runs and patterns from continuing from one row into the next (a pad is
    neither dark nor light to rules N1 and N2), and stand for the quiet zone in rule N3. A shift by
    one bit then moves along a row and a shift by ``stride`` bits along a column, so every penalty
    rule is a few shifts and ANDs over the whole symbol.
    """

    def __init__(self, version: int) -> None:
        size = self.size = 4 * version + 17
        self.stride = stride = _PAD + size
        self.length = (size + 2 * _PAD) * stride
        self.first = _PAD * stride + _PAD  # position of module (0, 0)
        self.trailing = _PAD * stride  # bits after the last module row
        function, dark, late = self._function_patterns(version)

        self.area = self._pack(lambda r, c: True)
        self.pad = ((1 << self.length) - 1) ^ self.area
        # The masks are scored with the format and version information and the dark module still
        # light, as segno scored them; those are added to the chosen symbol only.
        self.scored = self._pack(lambda r, c: dark[r][c] and not late[r][c])
        self.late = self._pack(lambda r, c: dark[r][c] and late[r][c])
        self.formats = {(level, mask): self._format_pack(level, mask)
                        for level in LEVELS for mask in range(8)}
        free = self._pack(lambda r, c: not function[r][c])
        self.masks = [self._mask_pack(m) & free for m in range(8)]

        # The codeword bits go into the free modules by picking characters from the bit string,
        # which gets one "0" appended for the function modules and pads (and the remainder bits).
        codeword_bits = 8 * _raw_codewords(version)
        picks = [codeword_bits] * (size * stride)  # the module rows with their leading pads
        for index, (r, c) in enumerate(self._placement(size, function)[:codeword_bits]):
            picks[r * stride + _PAD + c] = index
        self.pick = itemgetter(*picks)
        self.strokes = _Strokes(size)

    @staticmethod
    def _function_patterns(version: int) -> tuple[list[bytearray], ...]:
        """Which modules are function patterns, which of them are dark, which are drawn late."""
        size = 4 * version + 17
        function = [bytearray(size) for _ in range(size)]
        dark = [bytearray(size) for _ in range(size)]
        late = [bytearray(size) for _ in range(size)]

        def put(r: int, c: int, is_dark: bool, is_late: bool = False) -> None:
            function[r][c] = 1
            dark[r][c] = is_dark
            late[r][c] = is_late

        for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
            for dr in range(-1, 8):  # the finder and its light separator
                for dc in range(-1, 8):
                    if 0 <= top + dr < size and 0 <= left + dc < size:
                        ring = max(abs(dr - 3), abs(dc - 3))
                        put(top + dr, left + dc, ring != 2 and ring != 4)
        for i in range(8, size - 8):
            put(6, i, i % 2 == 0)
            put(i, 6, i % 2 == 0)
        centres = ALIGNMENT_CENTRES[version]
        last = size - 7
        for r in centres:
            for c in centres:
                if (r, c) in ((6, 6), (6, last), (last, 6)):
                    continue  # would sit on a finder
                for dr in range(-2, 3):
                    for dc in range(-2, 3):
                        put(r + dr, c + dc, max(abs(dr), abs(dc)) != 1)
        for copy in _format_positions(size):
            for r, c in copy:
                put(r, c, False, is_late=True)  # reserved; the bits depend on level and mask
        put(size - 8, 8, True, is_late=True)  # the dark module
        if version >= 7:
            bits = _bch(version, 0x1F25)
            for i, places in enumerate(_version_positions(size)):
                for r, c in places:
                    put(r, c, bool(bits >> i & 1), is_late=True)
        return function, dark, late

    @staticmethod
    def _placement(size: int, function: list[bytearray]) -> list[tuple[int, int]]:
        """Non-function modules in the order the codeword bits fill them.

        Two columns at a time from the right, upwards then downwards in turn, right column first;
        the vertical timing pattern's column is skipped as a whole.
        """
        order = []
        upward = True
        right = size - 1
        while right > 0:
            if right == 6:
                right = 5
            rows = range(size - 1, -1, -1) if upward else range(size)
            for r in rows:
                for c in (right, right - 1):
                    if not function[r][c]:
                        order.append((r, c))
            upward = not upward
            right -= 2
        return order

    def _pack_rows(self, rows) -> int:
        """Pack row strings of ``size`` characters "0"/"1" into an int as described above."""
        pad = "0" * _PAD
        lines = "".join(pad + row for row in rows)
        return int(lines, 2) << self.trailing

    def _pack(self, dark) -> int:
        """The int with the bits set where ``dark(row, column)``."""
        size = self.size
        return self._pack_rows("".join("1" if dark(r, c) else "0" for c in range(size))
                               for r in range(size))

    def _mask_pack(self, mask: int) -> int:
        inverted = _MASKS[mask]
        size = self.size
        period = ["".join("1" if inverted(r, c) else "0" for c in range(size))
                  for r in range(_MASK_PERIOD)]
        return self._pack_rows(period[r % _MASK_PERIOD] for r in range(size))

    def _format_pack(self, level: str, mask: int) -> int:
        """The dark modules of the format information for ``level`` and ``mask``."""
        bits = _bch(_LEVEL_BITS[level] << 3 | mask, 0x537) ^ 0x5412
        packed = 0
        for copy in _format_positions(self.size):
            for i, (r, c) in enumerate(copy):
                if bits >> i & 1:
                    packed |= 1 << self.length - 1 - (self.first + r * self.stride + c)
        return packed

    def unmasked(self, codewords: bytes) -> int:
        """The symbol with ``codewords`` placed and the scored function patterns, unmasked."""
        stream = format(int.from_bytes(codewords, "big"), f"0{8 * len(codewords)}b") + "0"
        return int("".join(self.pick(stream)), 2) << self.trailing | self.scored


@cache
def _layout(version: int) -> _Layout:
    return _Layout(version)


# --- choosing the mask ---------------------------------------------------------------------------
# Each function counts over the whole packed symbol at once, along rows (step 1) or along columns
# (step = stride).

def _runs_penalty(modules: int, step: int) -> int:
    """N1 for one colour: each run of 5 + k same-coloured modules costs 3 + k."""
    pairs = modules & modules >> step
    fives = pairs & pairs >> 2 * step & modules >> 4 * step  # the first module of 5 in a run
    # A run of 5 + k has 1 + k such modules; one end of each run adds the remaining 2.
    return fives.bit_count() + 2 * (fives & ~(fives >> step)).bit_count()


def _blocks(modules: int, stride: int) -> int:
    """N2 count for one colour: 2×2 blocks, overlapping ones counted each."""
    pairs = modules & modules >> 1
    return (pairs & pairs >> stride).bit_count()


def _finder_like(dark: int, light: int, step: int) -> int:
    """N3 count: dark-light-dark-dark-dark-light-dark with four light modules before or after.

    ``light`` includes the pads, so the quiet zone counts as light; a pattern with light on both
    sides counts once. Both are what segno did.
    """
    core = (dark & light >> step & dark >> 2 * step & dark >> 3 * step & dark >> 4 * step
            & light >> 5 * step & dark >> 6 * step)
    four = light & light >> step & light >> 2 * step & light >> 3 * step
    return (core & (four >> 7 * step | four << 4 * step)).bit_count()


def _penalty(layout: _Layout, dark: int) -> int:
    stride = layout.stride
    light = dark ^ layout.area
    score = (_runs_penalty(dark, 1) + _runs_penalty(light, 1)
             + _runs_penalty(dark, stride) + _runs_penalty(light, stride))
    score += 3 * (_blocks(dark, stride) + _blocks(light, stride))
    light_or_outside = light | layout.pad
    score += 40 * (_finder_like(dark, light_or_outside, 1)
                   + _finder_like(dark, light_or_outside, stride))
    total = layout.size * layout.size
    # N4: 10 for every full 5 % that the dark share is away from 50 %.
    return score + 10 * (abs(20 * dark.bit_count() - 10 * total) // total)


def _best_mask(layout: _Layout, unmasked: int) -> int:
    """The mask with the lowest penalty; the lowest number among equals."""
    scores = [_penalty(layout, unmasked ^ pattern) for pattern in layout.masks]
    return scores.index(min(scores))


# --- the symbol ----------------------------------------------------------------------------------

# Rows joined by newlines split into: light modules then a run of dark ones; or the light modules
# at the end of a row and the newline.
_TOKEN = re.compile("0*1+|0*\n")


class _Strokes(dict):
    """SVG path commands per token of _TOKEN, for one symbol size, made when first needed.

    A token becomes a relative move and a horizontal stroke ("m2 0h3"), or a move to the start of
    the next row. Looking tokens up here instead of formatting every run more than halves the time
    to write a symbol; there are only so many different tokens per size (about 200 in practice).
    """

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def __missing__(self, token: str) -> str:
        if token.endswith("\n"):
            light = len(token) - 1
            command = f"m{light - self.size} 1"  # back to column 0, one row down
        else:
            dark = len(token.lstrip("0"))
            command = f"m{len(token) - dark} 0h{dark}"
        self[token] = command
        return command


_BINARY_TO_BYTES = bytes.maketrans(b"01", b"\x00\x01")


class QRCode:
    """An encoded QR code: ``version``, ``error`` (level letter), ``mask`` and ``matrix``."""

    __slots__ = ("version", "error", "mask", "_bits", "_layout")

    def __init__(self, version: int, error: str, mask: int, bits: str) -> None:
        self.version, self.error, self.mask = version, error, mask
        self._bits = bits  # the packed symbol as "0"/"1"
        self._layout = _layout(version)

    @property
    def size(self) -> int:
        return self._layout.size

    def _rows(self) -> list[str]:
        size, stride, first, bits = self.size, self._layout.stride, self._layout.first, self._bits
        return [bits[start:start + size] for start in range(first, first + size * stride, stride)]

    @property
    def matrix(self) -> tuple[bytes, ...]:
        """Rows of modules, each a ``bytes`` of 0 (light) and 1 (dark)."""
        return tuple(row.encode().translate(_BINARY_TO_BYTES) for row in self._rows())

    def svg(self) -> str:
        """A standalone SVG: one path, one horizontal stroke per run of dark modules."""
        tokens = _TOKEN.findall("\n".join(self._rows()))
        # Start at the top left module, halfway down as the strokes are 1 wide and centred.
        path = f"M{BORDER} {BORDER}.5" + "".join(map(self._layout.strokes.__getitem__, tokens))
        width = self.size + 2 * BORDER
        pixels = width * SCALE
        # class="segno" is what segno wrote, kept in case a stylesheet targets the inline SVG.
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{pixels}" height="{pixels}" '
                f'viewBox="0 0 {width} {width}" class="segno">'
                f'<path class="qrline" stroke="#000" d="{path}"/></svg>')


def _smallest_version(length: int, level: str) -> int:
    for version in range(1, 41):
        if _fits(length, version, level):
            return version
    most = (8 * _data_codewords(40, level) - 4 - 16) // 8
    raise ValueError(f"{length} bytes do not fit in a QR code at error correction level {level} "
                     f"(at most {most} bytes)")


def make(data: str, error: str = "M", *, version: int | None = None, mask: int | None = None,
         boost_error: bool = True) -> QRCode:
    """Encode ``data`` (as UTF-8, byte mode) as a QR code.

    The version is the smallest that holds the data at level ``error`` unless given; with
    ``boost_error`` the level is then raised as far as the data still fits that version. The mask
    is the one with the lowest penalty unless given.
    """
    payload = data.encode()
    level = error.upper()
    if level not in _LEVEL_BITS:
        raise ValueError(f"unknown error correction level {error!r}")
    if version is None:
        version = _smallest_version(len(payload), level)
    elif not 1 <= version <= 40 or not _fits(len(payload), version, level):
        raise ValueError(f"{len(payload)} bytes do not fit in version {version} at level {level}")
    if boost_error:  # the highest level above that still fits the version
        higher = LEVELS[LEVELS.index(level) + 1:]
        level = next((h for h in reversed(higher) if _fits(len(payload), version, h)), level)
    layout = _layout(version)
    unmasked = layout.unmasked(_codewords(payload, version, level))
    if mask is None:
        mask = _best_mask(layout, unmasked)
    symbol = unmasked ^ layout.masks[mask] | layout.late | layout.formats[level, mask]
    return QRCode(version, level, mask, format(symbol, f"0{layout.length}b"))


def qrcode_svg(data: str) -> str:
    """``data`` as an SVG QR code, as text."""
    return make(data).svg()


def write_qrcode_image(data: str, out: SupportsWrite[bytes]) -> None:
    """Write ``data`` as an SVG QR code to the binary file-like ``out``."""
    out.write(qrcode_svg(data).encode())
