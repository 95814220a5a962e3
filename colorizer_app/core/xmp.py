"""The XMP a colorized result carries: the original's, less what describes the original file.

Archive and photo-library software keep captions, keywords, credits and rights in
XMP, and a result keeps them. An XMP packet also describes the file it sits in,
and some of that would be untrue of the result, or change how it shows:

- editing settings that Camera Raw, Bridge and Lightroom (crs:) or darktable apply
  to the file: "convert to grayscale", "monochrome" or a crop would undo the result;
- the layout (tiff:ImageWidth, BitsPerSample, PhotometricInterpretation, Orientation
  and the like, exif:PixelXDimension, photoshop:ColorMode and ICCProfile): a gray
  16-bit TIFF's, turned, under a color JPEG;
- the original's identity and history (xmpMM:DocumentID, InstanceID, History,
  photoshop:DocumentAncestors), its thumbnail (xmp:Thumbnails), its format
  (dc:format), and pointers to data that is not carried (xmpNote:HasExtendedXMP,
  photoshop:SidecarForExtension).

Those are left out; everything else is kept as it is. A packet that is not
well-formed XML is not carried at all: better no XMP than an untrue one.

Older tools (Picasa, older Photoshop, FotoStation) wrote captions as IPTC, in a
block no output format here has a writer for: ``from_iptc`` turns its core fields
into XMP (the IPTC Core mapping), and ``with_iptc`` adds those an XMP packet lacks.
"""

import io
import logging
import re
import xml.etree.ElementTree as ET

_log = logging.getLogger(__name__)

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_DC, _PHOTOSHOP = "http://purl.org/dc/elements/1.1/", "http://ns.adobe.com/photoshop/1.0/"
_ALL = None  # every property of the namespace
_LEFT_OUT: dict[str, set[str] | None] = {
    "http://ns.adobe.com/camera-raw-settings/1.0/": _ALL,
    "http://darktable.sf.net/": _ALL,
    "http://ns.adobe.com/tiff/1.0/": {
        "ImageWidth", "ImageLength", "BitsPerSample", "Compression", "PhotometricInterpretation",
        "SamplesPerPixel", "PlanarConfiguration", "Orientation", "YCbCrSubSampling",
        "YCbCrPositioning", "XResolution", "YResolution", "ResolutionUnit", "NativeDigest"},
    "http://ns.adobe.com/exif/1.0/": {"PixelXDimension", "PixelYDimension", "ColorSpace", "NativeDigest"},
    _PHOTOSHOP: {"ColorMode", "ICCProfile", "DocumentAncestors", "SidecarForExtension"},
    "http://ns.adobe.com/xap/1.0/mm/": {"DocumentID", "InstanceID", "History", "DerivedFrom"},
    "http://ns.adobe.com/xap/1.0/": {"Thumbnails"},
    "http://ns.adobe.com/xmp/note/": {"HasExtendedXMP"},
    _DC: {"format"},
}
_PACKET = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n{}\n<?xpacket end="w"?>'


def for_result(packet: bytes) -> bytes | None:
    """The packet to write into a colorized result of the photo that had ``packet``
    (see the module docstring), or None when there is nothing to carry."""
    root = _parse(packet)
    if root is None:
        return None
    for description in root.iter(f"{{{_RDF}}}Description"):
        for name in [name for name in description.attrib if _left_out(name)]:
            del description.attrib[name]
        for child in [child for child in description if _left_out(child.tag)]:
            description.remove(child)
    return _serialize(root)


def is_xmp(packet: bytes) -> bool:
    """Whether ``packet`` is well-formed XMP (a sidecar file may be anything)."""
    return _parse(packet) is not None


def _parse(packet: bytes) -> ET.Element | None:
    """The packet's x:xmpmeta (or bare rdf:RDF) element, its prefixes registered so
    that it is written back with them; None if there is none or it is not XML."""
    for start_tag, end_tag in ((b"<x:xmpmeta", b"</x:xmpmeta>"), (b"<rdf:RDF", b"</rdf:RDF>")):
        start, end = packet.find(start_tag), packet.rfind(end_tag)
        if start >= 0 and end > start:
            body = packet[start:end + len(end_tag)]
            break
    else:
        return None
    try:
        parsed = ET.iterparse(io.BytesIO(body), events=("start-ns",))
        prefixes = [ns for _, ns in parsed]
        root = parsed.root  # the tree, built by the same pass
    except ET.ParseError as exc:
        _log.warning("XMP that is not well-formed XML is not carried over: %s", exc)
        return None
    for prefix, uri in prefixes:
        if not prefix:
            continue  # a default namespace: as ElementTree's, it would take attributes out of theirs
        try:
            ET.register_namespace(prefix, uri)
        except ValueError:  # a prefix ElementTree reserves (ns0, ...): it picks one itself
            pass
    return root


def _serialize(root: ET.Element) -> bytes:
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


# -------------------------------------------------------------------------- IPTC

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
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def from_iptc(iptc: dict) -> bytes | None:
    """An XMP packet with the core fields of an IPTC block, as Pillow's getiptcinfo
    reads it ({(record, dataset): bytes or [bytes, ...]}); None if it has none."""
    properties = _iptc_properties(iptc)
    if not properties:
        return None
    for prefix, uri in (("x", "adobe:ns:meta/"), ("rdf", _RDF), ("dc", _DC), ("photoshop", _PHOTOSHOP)):
        ET.register_namespace(prefix, uri)
    meta = ET.Element("{adobe:ns:meta/}xmpmeta")
    description = ET.SubElement(ET.SubElement(meta, f"{{{_RDF}}}RDF"), f"{{{_RDF}}}Description",
                                {f"{{{_RDF}}}about": ""})
    description.extend(properties)
    return _serialize(meta)


def with_iptc(packet: bytes, iptc: dict) -> bytes:
    """``packet`` with the IPTC block's core fields that it lacks (Picasa wrote face
    regions to XMP and captions to IPTC); ``packet`` unchanged if it is not XMP."""
    root = _parse(packet)
    descriptions = [] if root is None else list(root.iter(f"{{{_RDF}}}Description"))
    if not descriptions:
        return packet
    present = {name for d in descriptions for name in (*d.attrib, *(child.tag for child in d))}
    missing = [prop for prop in _iptc_properties(iptc) if prop.tag not in present]
    if not missing:
        return packet
    descriptions[0].extend(missing)
    return _serialize(root)


def _iptc_properties(iptc: dict) -> list[ET.Element]:
    """XMP property elements for the IPTC block's core fields."""
    utf8 = iptc.get((1, 90)) == _UTF8
    properties = []
    for dataset, (uri, name, kind) in _IPTC_TO_XMP.items():
        values = iptc.get((2, dataset))
        values = [values] if isinstance(values, bytes) else [v for v in values or [] if isinstance(v, bytes)]
        texts = [text for text in (_iptc_text(value, utf8) for value in values) if text]
        if not texts:
            continue
        if dataset == 55:
            texts = [_iptc_date(texts[0])]
            if not texts[0]:
                continue
        prop = ET.Element(f"{{{uri}}}{name}")
        if kind == "text":
            prop.text = texts[0]
        else:
            container = ET.SubElement(prop, f"{{{_RDF}}}{kind.capitalize()}")
            for text in texts if kind != "alt" else texts[:1]:
                item = ET.SubElement(container, f"{{{_RDF}}}li",
                                     {_XML_LANG: "x-default"} if kind == "alt" else {})
                item.text = text
        properties.append(prop)
    return properties


def _iptc_text(value: bytes, utf8: bool) -> str:
    """IPTC text: UTF-8 when the block says so (or it decodes as such), else Windows'
    Latin-1 (cp1252), which older tools wrote without saying; characters XML cannot
    hold are left out."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = value.decode("utf-8" if utf8 else "cp1252", "replace")
    return _NOT_IN_XML.sub("", text).strip(" ")


def _iptc_date(text: str) -> str:
    """IPTC's CCYYMMDD as an XMP date; "00" for an unknown month or day shortens it
    (19310000 -> 1931, 19310600 -> 1931-06). "" if it is no date."""
    match = re.fullmatch(r"(\d{4})(\d\d)(\d\d)", text)
    if match is None:
        return ""
    year, month, day = match.groups()
    if month == "00":
        return year
    return f"{year}-{month}" if day == "00" else f"{year}-{month}-{day}"
