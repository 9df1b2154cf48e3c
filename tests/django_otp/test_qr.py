"""django_otp.qr: the SVG QR codes, read back by a real QR reader."""

import base64
import io
import random

import pytest

from django_otp import qr

zxingcpp = pytest.importorskip("zxingcpp")
Image = pytest.importorskip("PIL.Image")


def read_back(data):
    """Draw ``data`` as the module's QR code does, as pixels, and decode it with zxing-cpp."""
    code = qr.make(data)
    scale, border = 4, 4
    size = (len(code.matrix) + 2 * border) * scale
    image = Image.new("L", (size, size), 255)
    for y, row in enumerate(code.matrix):
        for x, dark in enumerate(row):
            if dark:
                left, top = (x + border) * scale, (y + border) * scale
                image.paste(0, (left, top, left + scale, top + scale))
    results = zxingcpp.read_barcodes(image)
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
