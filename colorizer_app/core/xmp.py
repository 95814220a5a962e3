"""The XMP a colorized result carries: the original's, less what describes the original file.

Archive and photo-library software keep captions, keywords, credits and rights in
XMP, and a result keeps them. An XMP packet also describes the file it sits in,
and some of that would be untrue of the result, or change how it shows:

- Camera Raw settings (crs:), which Camera Raw, Bridge and Lightroom apply to a
  JPEG or TIFF: "convert to grayscale" or a crop would undo the result;
- the layout (tiff:ImageWidth, BitsPerSample, PhotometricInterpretation, Orientation
  and the like, exif:PixelXDimension, photoshop:ColorMode and ICCProfile): a gray
  16-bit TIFF's, turned, under a color JPEG;
- the original's identity and history (xmpMM:DocumentID, InstanceID, History,
  photoshop:DocumentAncestors), its thumbnail (xmp:Thumbnails) and its format (dc:format).

Those are left out; everything else is kept as it is. A packet that is not
well-formed XML, or declares a DTD, is not carried at all: better no XMP than an
untrue or hostile one.

Older tools (Picasa, older Photoshop, FotoStation) wrote captions as IPTC only, in a
block no output format here has a writer for: ``from_iptc`` turns its core fields
into XMP (the IPTC Core mapping), for a photo that has no XMP of its own.
"""

import io
import logging
import re
import xml.etree.ElementTree as ET

_log = logging.getLogger(__name__)

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_ALL = None  # every property of the namespace
_LEFT_OUT: dict[str, set[str] | None] = {
    "http://ns.adobe.com/camera-raw-settings/1.0/": _ALL,
    "http://ns.adobe.com/tiff/1.0/": {
        "ImageWidth", "ImageLength", "BitsPerSample", "Compression", "PhotometricInterpretation",
        "SamplesPerPixel", "PlanarConfiguration", "Orientation", "YCbCrSubSampling",
        "YCbCrPositioning", "XResolution", "YResolution", "ResolutionUnit", "NativeDigest"},
    "http://ns.adobe.com/exif/1.0/": {"PixelXDimension", "PixelYDimension", "ColorSpace", "NativeDigest"},
    "http://ns.adobe.com/photoshop/1.0/": {"ColorMode", "ICCProfile", "DocumentAncestors"},
    "http://ns.adobe.com/xap/1.0/mm/": {"DocumentID", "InstanceID", "History", "DerivedFrom"},
    "http://ns.adobe.com/xap/1.0/": {"Thumbnails"},
    "http://purl.org/dc/elements/1.1/": {"format"},
}
_BODY = re.compile(rb"<x:xmpmeta\b.*</x:xmpmeta>|<rdf:RDF\b.*</rdf:RDF>", re.DOTALL)
_PACKET = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n{}\n<?xpacket end="w"?>'


def for_result(packet: bytes) -> bytes | None:
    """The packet to write into a colorized result of the photo that had ``packet``
    (see the module docstring), or None when there is nothing to carry."""
    body = _BODY.search(packet)
    if body is None or b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
        return None
    try:
        prefixes = [ns for _, ns in ET.iterparse(io.BytesIO(body.group(0)), events=("start-ns",))]
        root = ET.fromstring(body.group(0))
    except ET.ParseError as exc:
        _log.warning("XMP that is not well-formed XML is not carried over: %s", exc)
        return None
    for prefix, uri in prefixes:
        try:
            ET.register_namespace(prefix, uri)  # written back with the prefixes it came with
        except ValueError:  # a prefix ElementTree reserves (ns0, ...): it picks one itself
            pass
    for description in root.iter(f"{{{_RDF}}}Description"):
        for name in [name for name in description.attrib if _left_out(name)]:
            del description.attrib[name]
        for child in [child for child in description if _left_out(child.tag)]:
            description.remove(child)
    return _PACKET.format(ET.tostring(root, encoding="unicode")).encode("utf-8")


def _left_out(qualified_name: str) -> bool:
    """Whether a property, "{namespace}name" as ElementTree spells it, is left out."""
    if not qualified_name.startswith("{"):
        return False
    uri, _, name = qualified_name[1:].partition("}")
    if uri not in _LEFT_OUT:
        return False
    names = _LEFT_OUT[uri]
    return names is _ALL or name in names


_DC, _PHOTOSHOP = "http://purl.org/dc/elements/1.1/", "http://ns.adobe.com/photoshop/1.0/"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# IPTC dataset (record 2) -> XMP property, and how it is held: "alt" (text in a
# language alternative), "bag" or "seq" (a list), "text" (plain).
_IPTC_TO_XMP = {
    5: (_DC, "title", "alt"), 120: (_DC, "description", "alt"), 116: (_DC, "rights", "alt"),
    25: (_DC, "subject", "bag"), 80: (_DC, "creator", "seq"),
    105: (_PHOTOSHOP, "Headline", "text"), 110: (_PHOTOSHOP, "Credit", "text"),
    115: (_PHOTOSHOP, "Source", "text"), 90: (_PHOTOSHOP, "City", "text"),
    95: (_PHOTOSHOP, "State", "text"), 101: (_PHOTOSHOP, "Country", "text"),
    55: (_PHOTOSHOP, "DateCreated", "text"),
}
_UTF8 = b"\x1b%G"  # IPTC 1:90, the coded character set, for UTF-8


def from_iptc(iptc: dict) -> bytes | None:
    """An XMP packet with the core fields of an IPTC block, as Pillow's getiptcinfo
    reads it ({(record, dataset): bytes or [bytes, ...]}); None if it has none."""
    utf8 = iptc.get((1, 90)) == _UTF8
    for prefix, uri in (("x", "adobe:ns:meta/"), ("rdf", _RDF), ("dc", _DC), ("photoshop", _PHOTOSHOP)):
        ET.register_namespace(prefix, uri)
    meta = ET.Element("{adobe:ns:meta/}xmpmeta")
    description = ET.SubElement(ET.SubElement(meta, f"{{{_RDF}}}RDF"), f"{{{_RDF}}}Description",
                                {f"{{{_RDF}}}about": ""})
    for dataset, (uri, name, kind) in _IPTC_TO_XMP.items():
        values = iptc.get((2, dataset))
        values = [values] if isinstance(values, bytes) else list(values or [])
        texts = [text for text in (_iptc_text(value, utf8) for value in values) if text]
        if not texts:
            continue
        if dataset == 55 and re.fullmatch(r"\d{8}", texts[0]):  # CCYYMMDD
            texts = [f"{texts[0][:4]}-{texts[0][4:6]}-{texts[0][6:]}"]
        prop = ET.SubElement(description, f"{{{uri}}}{name}")
        if kind == "text":
            prop.text = texts[0]
            continue
        container = ET.SubElement(prop, f"{{{_RDF}}}{kind.capitalize()}")
        for text in texts if kind != "alt" else texts[:1]:
            item = ET.SubElement(container, f"{{{_RDF}}}li", {_XML_LANG: "x-default"} if kind == "alt" else {})
            item.text = text
    if len(description) == 0:
        return None
    return _PACKET.format(ET.tostring(meta, encoding="unicode")).encode("utf-8")


def _iptc_text(value: bytes, utf8: bool) -> str:
    """IPTC text: UTF-8 when the block says so (or it decodes as such), else Latin-1,
    which older tools wrote without saying."""
    try:
        return value.decode("utf-8").strip("\0 ")
    except UnicodeDecodeError:
        return "" if utf8 else value.decode("latin-1").strip("\0 ")
