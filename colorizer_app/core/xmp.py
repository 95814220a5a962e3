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
