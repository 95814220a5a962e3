"""What of a photo's XMP its colorized result carries (core.xmp)."""

import xml.etree.ElementTree as ET

from colorizer_app.core.xmp import for_result

LIGHTROOM = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:tiff="http://ns.adobe.com/tiff/1.0/"
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/"
    xmlns:crs="http://ns.adobe.com/camera-raw-settings/1.0/"
    tiff:Orientation="6" tiff:ImageWidth="400" tiff:Make="EPSON"
    exif:PixelXDimension="400" photoshop:ColorMode="1" photoshop:ICCProfile="Gray Gamma 2.2"
    photoshop:Credit="Historical Society" xmpMM:DocumentID="xmp.did:1234"
    crs:ConvertToGrayscale="True" crs:HasCrop="True" dc:format="image/tiff">
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">Grand-mère à Lyon, 1931</rdf:li></rdf:Alt></dc:description>
   <dc:subject><rdf:Bag><rdf:li>picnic</rdf:li><rdf:li>Lyon</rdf:li></rdf:Bag></dc:subject>
   <tiff:BitsPerSample><rdf:Seq><rdf:li>16</rdf:li></rdf:Seq></tiff:BitsPerSample>
   <xmpMM:History><rdf:Seq><rdf:li>saved</rdf:li></rdf:Seq></xmpMM:History>
   <crs:ToneCurve><rdf:Seq><rdf:li>0, 0</rdf:li></rdf:Seq></crs:ToneCurve>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode("utf-8")


def properties(packet: bytes) -> set[str]:
    """The prefixed names of every property in the packet's descriptions."""
    prefixes = {"http://purl.org/dc/elements/1.1/": "dc", "http://ns.adobe.com/tiff/1.0/": "tiff",
                "http://ns.adobe.com/exif/1.0/": "exif", "http://ns.adobe.com/photoshop/1.0/": "photoshop",
                "http://ns.adobe.com/xap/1.0/mm/": "xmpMM", "http://ns.adobe.com/camera-raw-settings/1.0/": "crs"}
    body = packet[packet.index(b"<x:xmpmeta"):packet.index(b"</x:xmpmeta>") + len(b"</x:xmpmeta>")]
    names = set()
    for description in ET.fromstring(body).iter("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"):
        for name in [*description.attrib, *(child.tag for child in description)]:
            uri, _, local = name[1:].partition("}")
            if uri in prefixes:
                names.add(f"{prefixes[uri]}:{local}")
    return names


def test_captions_stay_and_what_describes_the_original_file_goes():
    kept = for_result(LIGHTROOM)
    assert properties(kept) == {"dc:description", "dc:subject", "tiff:Make", "photoshop:Credit"}
    text = kept.decode("utf-8")
    assert "Grand-mère à Lyon, 1931" in text and "<rdf:li>picnic</rdf:li>" in text
    assert "<x:xmpmeta" in text and "<rdf:RDF" in text  # its own prefixes, not ns0, ns1
    assert text.startswith("<?xpacket begin=") and text.endswith('<?xpacket end="w"?>')


def test_a_packet_that_is_not_xml_or_declares_entities_is_not_carried():
    assert for_result(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><unclosed></x:xmpmeta>") is None
    assert for_result(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x:xmpmeta xmlns:x="adobe:ns:meta/">'
                      b"&a;</x:xmpmeta>") is None
    assert for_result(b"no xmp here") is None


def test_iptc_core_fields_become_xmp():
    from colorizer_app.core.xmp import from_iptc

    packet = from_iptc({(2, 5): b"Picnic", (2, 80): [b"A. Photographer", b"B. Assistant"],
                        (2, 55): b"19310614", (2, 110): b"Soci\xe9t\xe9 historique"})  # Latin-1, undeclared
    text = packet.decode("utf-8")
    assert '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Picnic</rdf:li></rdf:Alt></dc:title>' in text
    assert "<rdf:Seq><rdf:li>A. Photographer</rdf:li><rdf:li>B. Assistant</rdf:li></rdf:Seq>" in text
    assert "<photoshop:DateCreated>1931-06-14</photoshop:DateCreated>" in text
    assert "<photoshop:Credit>Société historique</photoshop:Credit>" in text
    assert for_result(packet) is not None  # well-formed, and nothing in it is left out
    assert properties(for_result(packet)) == {"dc:title", "dc:creator", "photoshop:DateCreated",
                                              "photoshop:Credit"}
    assert from_iptc({(1, 90): b"\x1b%G", (2, 0): b"\x00\x04"}) is None  # no caption field at all


def test_iptc_fields_an_xmp_packet_lacks_are_added_and_the_rest_left():
    """Picasa wrote face regions to XMP and captions to IPTC; a scanner writes a
    tiny XMP beside an IPTC caption: the caption must not be lost for the XMP."""
    from colorizer_app.core.xmp import with_iptc

    scanner = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
               b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
               b'xmp:CreatorTool="EPSON Scan"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">From XMP</rdf:li>'
               b'</rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>')
    merged = with_iptc(scanner, {(2, 5): b"From IPTC", (2, 120): b"Picnic, 1931"}).decode("utf-8")
    assert "EPSON Scan" in merged and "From XMP" in merged and "From IPTC" not in merged
    assert '<rdf:li xml:lang="x-default">Picnic, 1931</rdf:li>' in merged
    assert with_iptc(b"not xmp", {(2, 120): b"x"}) == b"not xmp"


def test_iptc_dates_text_and_charsets_as_old_tools_wrote_them():
    from colorizer_app.core.xmp import from_iptc

    def date(value: bytes) -> str:
        text = from_iptc({(2, 55): value}).decode("utf-8")
        return text[text.index("<photoshop:DateCreated>") + 23:text.index("</photoshop:DateCreated>")]

    assert [date(b"19310614"), date(b"19310600"), date(b"19310000")] == ["1931-06-14", "1931-06", "1931"]
    assert from_iptc({(2, 55): b"June 1931"}) is None  # no date: nothing to carry
    text = from_iptc({(2, 120): b"\x93Grandma\x94 at the\x0b lake"}).decode("utf-8")  # cp1252 quotes, a VT
    assert "“Grandma” at the lake" in text
    assert for_result(text.encode("utf-8")) is not None  # still well-formed XML


def test_a_default_namespace_in_a_packet_does_not_take_properties_out_of_theirs():
    packet = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              b'<rdf:Description xmlns="http://purl.org/dc/elements/1.1/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
              b'dc:source="box 7"/></rdf:RDF></x:xmpmeta>')
    assert properties(for_result(packet)) == {"dc:source"}
