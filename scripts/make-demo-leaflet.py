#!/usr/bin/env python3
"""Writes the demo's PDF leaflet (assets/demo/learn-hand-hygiene.pdf): two A4 pages of large
type, headings and a coloured panel, in plain PDF 1.4 with the standard Helvetica fonts (no
font files, no libraries). Run it again only to change the leaflet; the PDF is committed.

Usage: scripts/make-demo-leaflet.py [OUT]"""
import sys
import zlib

PAGES = [
    [("panel", (0.85, 0.93, 0.98), 40, 660, 515, 150),
     ("h1", "Clean hands stop infections", 60, 760),
     ("p", "Germs travel on hands. Washing them is the", 60, 720),
     ("p", "simplest way to keep you safe in hospital.", 60, 694),
     ("h2", "When to wash your hands", 60, 610),
     ("li", "before you eat or touch your food", 60, 570),
     ("li", "after you use the toilet or a bedpan", 60, 536),
     ("li", "after you touch your wound or dressing", 60, 502),
     ("li", "when they look or feel dirty", 60, 468),
     ("h2", "You can ask anyone", 60, 390),
     ("p", "Doctors, nurses and visitors should clean", 60, 350),
     ("p", "their hands before they touch you. It is", 60, 324),
     ("p", "always fine to ask them: \"Have you cleaned", 60, 298),
     ("p", "your hands?\"", 60, 272),
     ("small", "Page 1 of 2", 480, 40)],
    [("h1", "How to wash your hands", 60, 760),
     ("li", "Wet your hands with water.", 60, 700),
     ("li", "Use enough soap to cover them.", 60, 666),
     ("li", "Rub palms, backs and between fingers.", 60, 632),
     ("li", "Rub your thumbs and fingertips.", 60, 598),
     ("li", "Rinse, then dry with a paper towel.", 60, 564),
     ("panel", (0.99, 0.93, 0.82), 40, 330, 515, 170),
     ("h2", "Hand gel works too", 60, 460),
     ("p", "The gel by your bed kills most germs in", 60, 420),
     ("p", "about 20 seconds. Use soap and water if", 60, 394),
     ("p", "your hands look dirty, or if you have", 60, 368),
     ("p", "diarrhoea.", 60, 342),
     ("small", "Page 2 of 2", 480, 40)],
]

SIZES = {"h1": ("F2", 30), "h2": ("F2", 24), "p": ("F1", 20), "li": ("F1", 20), "small": ("F1", 12)}


def esc(text):
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def content(page):
    out = []
    for item in page:
        if item[0] == "panel":
            (r, g, b), x, y, w, h = item[1:]
            out.append(f"{r} {g} {b} rg {x} {y} {w} {h} re f")
            continue
        kind, text, x, y = item
        font, size = SIZES[kind]
        if kind == "li":
            out.append(f"0.1 0.4 0.7 rg {x} {y + 4} 8 8 re f")
            x += 24
        colour = "0.05 0.2 0.45" if kind in ("h1", "h2") else "0.1 0.1 0.1"
        out.append(f"BT {colour} rg /{font} {size} Tf {x} {y} Td ({esc(text)}) Tj ET")
    return zlib.compress("\n".join(out).encode("latin-1"))


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "assets/demo/learn-hand-hygiene.pdf"
    objects = []  # bodies, object n at index n-1

    def add(body):
        objects.append(body)
        return len(objects)

    catalog = add(None)
    pages = add(None)
    f1 = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    f2 = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>")
    kids = []
    for page in PAGES:
        data = content(page)
        stream = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream")
        kids.append(add(
            b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R /F2 %d 0 R >> >> >>" % (pages, stream, f1, f2)))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages
    objects[pages - 1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    info = add(b"<< /Title (Clean hands stop infections) /Producer (bedside make-demo-leaflet.py) >>")
    body = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(body))
        body += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        body += b"%010d 00000 n \n" % off
    body += b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, catalog, info, xref)
    with open(out, "wb") as f:
        f.write(body)


if __name__ == "__main__":
    main()
