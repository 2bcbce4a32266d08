//! Decoding variants real clients send, round trips of every message type, and the problems
//! the official samples are known to have.

mod common;

use common::{Entropy, fill};
use proptest::prelude::*;
use single_window::ceb::{self, decode_str, encode};
use single_window::check::check_bytes;
use single_window::model::{Message, MessageType};

const LIST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ceb:CEB603Message guid="4CDE1CFD-EDED-46B1-946C-B8022E42FC94" version="1.0" xmlns:ceb="http://www.chinaport.gov.cn/ceb" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
	<ceb:Inventory>
		<ceb:InventoryHead>
			<ceb:guid>A1B2C3D4-0000-4000-8000-000000000001</ceb:guid>
			<ceb:appType>1</ceb:appType>
			<ceb:appTime>20250310093000</ceb:appTime>
			<ceb:appStatus>2</ceb:appStatus>
			<ceb:customsCode>5314</ceb:customsCode>
			<ceb:ebpCode>4403161FMD</ceb:ebpCode>
			<ceb:ebpName>深圳跨境平台有限公司</ceb:ebpName>
			<ceb:orderNo>ORD20250310000001</ceb:orderNo>
			<ceb:logisticsCode>4403180001</ceb:logisticsCode>
			<ceb:logisticsName>深圳市邮政速递</ceb:logisticsName>
			<ceb:logisticsNo>YT000000000001</ceb:logisticsNo>
			<ceb:copNo>B20250310093000001</ceb:copNo>
			<ceb:ieFlag>E</ceb:ieFlag>
			<ceb:portCode>5314</ceb:portCode>
			<ceb:ieDate>20250311</ceb:ieDate>
			<ceb:statisticsFlag>B</ceb:statisticsFlag>
			<ceb:agentCode>4403161FMD</ceb:agentCode>
			<ceb:agentName>深圳跨境平台有限公司</ceb:agentName>
			<ceb:ebcCode>4403161FMD</ceb:ebcCode>
			<ceb:ebcName>深圳跨境平台有限公司</ceb:ebcName>
			<ceb:ownerCode>4403161FMD</ceb:ownerCode>
			<ceb:ownerName>深圳跨境平台有限公司</ceb:ownerName>
			<ceb:tradeMode>9610</ceb:tradeMode>
			<ceb:trafMode>4</ceb:trafMode>
			<ceb:country>312</ceb:country>
			<ceb:POD>312</ceb:POD>
			<ceb:freight>0</ceb:freight>
			<ceb:fCurrency>142</ceb:fCurrency>
			<ceb:fFlag>3</ceb:fFlag>
			<ceb:insuredFee>0</ceb:insuredFee>
			<ceb:iCurrency>142</ceb:iCurrency>
			<ceb:iFlag>3</ceb:iFlag>
			<ceb:wrapType>2</ceb:wrapType>
			<ceb:packNo>1</ceb:packNo>
			<ceb:grossWeight>0.8</ceb:grossWeight>
			<ceb:netWeight>0.6</ceb:netWeight>
		</ceb:InventoryHead>
		<ceb:InventoryList>
			<ceb:gnum>1</ceb:gnum>
			<ceb:itemNo>SKU-001</ceb:itemNo>
			<ceb:gcode>6109100021</ceb:gcode>
			<ceb:gname>棉制T恤衫 &amp; 短袖</ceb:gname>
			<ceb:gmodel>无</ceb:gmodel>
			<ceb:barCode>无</ceb:barCode>
			<ceb:country>312</ceb:country>
			<ceb:currency>142</ceb:currency>
			<ceb:qty>2</ceb:qty>
			<ceb:qty1>0.6</ceb:qty1>
			<ceb:unit>011</ceb:unit>
			<ceb:unit1>035</ceb:unit1>
			<ceb:price>49.90</ceb:price>
			<ceb:totalPrice>99.80</ceb:totalPrice>
		</ceb:InventoryList>
	</ceb:Inventory>
	<ceb:BaseTransfer>
		<ceb:copCode>4403161FMD</ceb:copCode>
		<ceb:copName>深圳跨境平台有限公司</ceb:copName>
		<ceb:dxpMode>DXP</ceb:dxpMode>
		<ceb:dxpId>DXPENT0000022561</ceb:dxpId>
	</ceb:BaseTransfer>
</ceb:CEB603Message>
"#;

fn decode_ok(xml: &str) -> Message<'_> {
    let d = decode_str(xml);
    assert!(
        d.diagnostics.is_empty(),
        "unexpected findings: {:#?}",
        d.diagnostics
    );
    d.message.expect("a message")
}

#[test]
fn prefix_default_namespace_and_other_prefix_decode_the_same() {
    let base = decode_ok(LIST);
    let default_ns = LIST.replace("ceb:", "").replace("xmlns:ceb=", "xmlns=");
    assert_eq!(decode_ok(&default_ns), base);
    let other = LIST.replace("ceb:", "x:").replace("xmlns:ceb=", "xmlns:x=");
    assert_eq!(decode_ok(&other), base);
}

#[test]
fn text_is_unescaped_and_decimals_keep_their_value() {
    let Message::Ceb603(m) = decode_ok(LIST) else {
        panic!("not a 603")
    };
    let item = &m.documents[0].items[0];
    assert_eq!(item.gname, "棉制T恤衫 & 短袖");
    assert_eq!(item.total_price.to_string(), "99.80");
    assert_eq!(m.base_transfer.dxp_id, "DXPENT0000022561");
}

#[test]
fn bom_and_gbk_are_accepted() {
    let base = decode_ok(LIST);
    let mut with_bom = b"\xEF\xBB\xBF".to_vec();
    with_bom.extend_from_slice(LIST.as_bytes());
    let p = ceb::prepare(&with_bom).expect("BOM tolerated");
    assert_eq!(decode_ok(&p.text), base);

    for (label, name) in [
        ("GBK", "GBK"),
        ("GB2312", "GBK"),
        ("GB18030", "gb18030"),
        ("gbk", "GBK"),
    ] {
        let gbk_text = LIST.replace("encoding=\"UTF-8\"", &format!("encoding=\"{label}\""));
        let (bytes, _, bad) = encoding_rs::GBK.encode(&gbk_text);
        assert!(!bad);
        assert_ne!(
            &bytes[..],
            gbk_text.as_bytes(),
            "the Chinese text really is re-encoded"
        );
        let p = ceb::prepare(&bytes).expect("GBK decoded");
        assert_eq!(p.encoding, name);
        assert_eq!(decode_ok(&p.text), base);
    }
}

#[test]
fn gbk_bytes_without_declaration_are_an_encoding_error_with_position() {
    let (bytes, _, _) = encoding_rs::GBK.encode(LIST);
    let err = ceb::prepare(&bytes).expect_err("GBK bytes are not UTF-8");
    let d = &err.diagnostics[0];
    assert_eq!(d.code, "E-XML-ENCODING");
    assert_eq!(
        (d.line, d.column),
        (11, 17),
        "first Chinese text is ebpName on line 11: {d:?}"
    );
}

#[test]
fn dxp_wrapped_message_decodes_like_the_bare_one() {
    let wrapped = ceb::wrap_dxp(
        LIST,
        "CEB603Message",
        "MSG-1",
        "DXPENT0000022561",
        "DXPEDCCEB0000003",
        "2025-03-10T09:30:00",
    );
    let p = ceb::prepare(wrapped.as_bytes()).expect("unwrapped");
    let t = p.transport.as_ref().expect("transport kept");
    assert_eq!(t.cop_msg_id, "MSG-1");
    assert_eq!(t.msg_type, "CEB603Message");
    assert_eq!(decode_ok(&p.text), decode_ok(LIST));
}

#[test]
fn bad_base64_in_dxp_is_reported() {
    let wrapped = ceb::wrap_dxp(
        LIST,
        "CEB603Message",
        "MSG-1",
        "A",
        "B",
        "2025-03-10T09:30:00",
    );
    let broken = wrapped.replacen("<dxp:Data>", "<dxp:Data>%%%", 1);
    let err = ceb::prepare(broken.as_bytes()).expect_err("bad base64");
    assert!(
        err.diagnostics.iter().any(|d| d.code == "E-DXP-DATA"),
        "{:?}",
        err.diagnostics
    );
}

#[test]
fn malformed_xml_gives_ceb900_naming_the_position() {
    let broken = LIST.replace("</ceb:appType>", "</ceb:appTyp>");
    let now = chrono::NaiveDate::from_ymd_opt(2025, 3, 10)
        .unwrap()
        .and_hms_opt(10, 0, 0)
        .unwrap();
    let report = check_bytes(broken.as_bytes(), now);
    assert_eq!(report.documents.len(), 1);
    let doc = &report.documents[0];
    assert!(!doc.accepted);
    let d = &doc.diagnostics[0];
    assert_eq!(d.code, "E-XML-SYNTAX");
    assert_eq!(d.line, 6, "{d:?}");
    let receipt = report.receipt.expect("a receipt");
    assert_eq!(receipt.root, "CEB900Message");
    assert!(
        receipt
            .xml
            .contains("<ceb:returnStatus>-1</ceb:returnStatus>")
    );
    assert!(
        receipt.xml.contains("(6:"),
        "returnInfo names the line: {}",
        receipt.xml
    );
    let back = decode_str(&receipt.xml);
    assert!(back.diagnostics.is_empty(), "{:?}", back.diagnostics);
}

#[test]
fn every_problem_is_reported_at_once_with_its_place() {
    let bad = LIST
        .replace(
            "<ceb:appType>1</ceb:appType>",
            "<ceb:appType>12</ceb:appType>",
        )
        .replace(
            "<ceb:ieDate>20250311</ceb:ieDate>",
            "<ceb:ieDate>20250231</ceb:ieDate>",
        )
        .replace("<ceb:packNo>1</ceb:packNo>", "<ceb:packNo>one</ceb:packNo>")
        .replace(
            "<ceb:price>49.90</ceb:price>",
            "<ceb:price>49.901234</ceb:price>",
        )
        .replace(
            "<ceb:gmodel>无</ceb:gmodel>",
            "<ceb:gmodel>无</ceb:gmodel><ceb:colour>red</ceb:colour>",
        )
        .replace("\t\t\t<ceb:copNo>B20250310093000001</ceb:copNo>\n", "");
    let d = decode_str(&bad);
    let codes: Vec<(&str, &str)> = d
        .diagnostics
        .iter()
        .map(|x| (x.code, x.path.as_str()))
        .collect();
    let want = [
        (
            "E-XML-LENGTH",
            "/CEB603Message/Inventory[1]/InventoryHead/appType",
        ),
        (
            "E-XML-DATE",
            "/CEB603Message/Inventory[1]/InventoryHead/ieDate",
        ),
        (
            "E-XML-NUMBER",
            "/CEB603Message/Inventory[1]/InventoryHead/packNo",
        ),
        (
            "E-XML-MISSING",
            "/CEB603Message/Inventory[1]/InventoryHead/copNo",
        ),
        (
            "E-XML-UNKNOWN",
            "/CEB603Message/Inventory[1]/InventoryList[1]/colour",
        ),
        (
            "E-XML-NUMBER",
            "/CEB603Message/Inventory[1]/InventoryList[1]/price",
        ),
    ];
    for w in want {
        assert!(codes.contains(&w), "missing {w:?} in {codes:#?}");
    }
    assert_eq!(codes.len(), want.len(), "no follow-on errors: {codes:#?}");
    let app_type = &d.diagnostics[d
        .diagnostics
        .iter()
        .position(|x| x.path.ends_with("appType"))
        .unwrap()];
    assert_eq!((app_type.line, app_type.column), (6, 4));
    assert_eq!(app_type.found, "12");
    assert!(app_type.expected.contains("exactly 1"));
}

#[test]
fn repeated_envelope_and_wrong_root_are_reported_like_the_official_samples() {
    // The official 603 sample repeats BaseTransfer after the first one.
    let repeated = LIST.replace(
        "</ceb:BaseTransfer>\n",
        "</ceb:BaseTransfer>\n\t<ceb:BaseTransfer><ceb:copCode>1</ceb:copCode><ceb:copName>x</ceb:copName><ceb:dxpMode>DXP</ceb:dxpMode><ceb:dxpId>D</ceb:dxpId></ceb:BaseTransfer>\n",
    );
    let d = decode_str(&repeated);
    assert_eq!(d.diagnostics.len(), 1, "{:#?}", d.diagnostics);
    assert_eq!(d.diagnostics[0].code, "E-XML-COUNT");
    assert_eq!(
        d.diagnostics[0].line, 65,
        "the second BaseTransfer starts on line 65"
    );

    // The official 214 sample's root is CEB214, not CEB214Message.
    let d = decode_str(
        r#"<ceb:CEB214 xmlns:ceb="http://www.chinaport.gov.cn/ceb" guid="x" version="1.0"/>"#,
    );
    assert!(d.message.is_none());
    assert_eq!(d.diagnostics[0].code, "E-XML-ROOT");
    assert_eq!(d.root, "CEB214");
}

#[test]
fn wrong_namespace_is_not_the_customs_message() {
    let other = LIST.replace("http://www.chinaport.gov.cn/ceb", "urn:other");
    let d = decode_str(&other);
    assert!(d.message.is_none());
    assert_eq!(d.diagnostics[0].code, "E-XML-ROOT");
    assert!(d.diagnostics[0].en.contains("namespace"));
}

fn round_trip(kind: MessageType, seed: &[u8]) {
    let mut original = Message::new(kind);
    fill(original.as_element_mut(), &mut Entropy::new(seed), 0);
    let xml = encode(original.as_element());
    let decoded = decode_str(&xml);
    assert!(
        decoded.diagnostics.is_empty(),
        "{kind:?}: {:#?}\n{xml}",
        decoded.diagnostics
    );
    assert_eq!(decoded.message.as_ref(), Some(&original), "{kind:?}\n{xml}");

    // The decoder reads the usual `<x>text</x>` layout directly and everything else through the
    // general parser; layouts that force the general path must give the same message.
    let variants = [
        xml.replace('\n', "\r\n"),
        xml.replace("\t<", "\t<!-- c --><"),
        xml.replace("</ceb:", "<!----></ceb:"),
        xml.replace("><ceb:", "><?pi x?><ceb:"),
    ];
    // Content kept verbatim (signature, extension) would keep the inserted markup too.
    let verbatim = xml.contains("<ds:Signature") || xml.contains("<ceb:Message>");
    for variant in variants.iter().take(if verbatim { 2 } else { 4 }) {
        let decoded = decode_str(variant);
        assert!(
            decoded.diagnostics.is_empty(),
            "{kind:?}: {:#?}\n{variant}",
            decoded.diagnostics
        );
        assert_eq!(
            decoded.message.as_ref(),
            Some(&original),
            "{kind:?}\n{variant}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn every_message_type_round_trips(seed in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for kind in MessageType::ALL {
            round_trip(kind, &seed);
        }
    }
}

fn codes(xml: &str) -> Vec<(&'static str, u32)> {
    decode_str(xml)
        .diagnostics
        .iter()
        .map(|d| (d.code, d.line))
        .collect()
}

#[test]
fn namespace_declarations_follow_scope() {
    // A prefix declared on an inner element counts there; the customs namespace may also be the
    // default one deeper down.
    let inner = LIST
        .replace(
            "<ceb:Inventory>\n\t\t<ceb:InventoryHead>",
            "<ceb:Inventory>\n\t\t<h:InventoryHead xmlns:h=\"http://www.chinaport.gov.cn/ceb\">",
        )
        .replace("</ceb:InventoryHead>", "</h:InventoryHead>");
    assert_eq!(decode_ok(&inner), decode_ok(LIST));
    let default_inside = LIST
        .replace(
            "<ceb:BaseTransfer>",
            "<BaseTransfer xmlns=\"http://www.chinaport.gov.cn/ceb\">",
        )
        .replace("</ceb:BaseTransfer>", "</BaseTransfer>")
        .replace("<ceb:copCode>", "<copCode>")
        .replace("</ceb:copCode>", "</copCode>");
    assert_eq!(decode_ok(&default_inside), decode_ok(LIST));

    // Rebinding ceb: to another namespace on one element puts that element outside the spec.
    let rebound = LIST.replace(
        "<ceb:BaseTransfer>",
        "<ceb:BaseTransfer xmlns:ceb=\"urn:other\">",
    );
    assert_eq!(codes(&rebound)[0].0, "E-XML-NAMESPACE");
    // … and the binding ends with it: what follows is read normally again.
    let d = decode_str(&rebound);
    assert!(
        d.diagnostics
            .iter()
            .all(|x| x.path.ends_with("BaseTransfer")),
        "{:#?}",
        d.diagnostics
    );

    // A prefix declared on a sibling is not in scope.
    let sibling = LIST
        .replace(
            "<ceb:copCode>",
            "<x:copCode xmlns:x=\"http://www.chinaport.gov.cn/ceb\">",
        )
        .replace("</ceb:copCode>", "</x:copCode>")
        .replace("<ceb:copName>", "<x:copName>")
        .replace("</ceb:copName>", "</x:copName>");
    assert!(
        codes(&sibling).iter().any(|c| c.0 == "E-XML-NAMESPACE"),
        "{:?}",
        codes(&sibling)
    );
}

#[test]
fn text_with_entities_cdata_comments_and_crlf_is_read_in_full() {
    let m = LIST.replace(
        "<ceb:gmodel>无</ceb:gmodel>",
        "<ceb:gmodel>A<!-- c --><![CDATA[<B>]]>&#x4E2D;&lt;\r\nC</ceb:gmodel>",
    );
    let Message::Ceb603(m) = decode_ok(&m) else {
        panic!("not a 603")
    };
    assert_eq!(m.documents[0].items[0].gmodel, "A<B>中<\nC");
}

#[test]
fn end_tags_must_match_everywhere() {
    // In a simple element, in a record, inside an unknown element being skipped, inside a
    // signature kept verbatim, and after the root.
    let cases = [
        LIST.replace("<ceb:itemNo>SKU-001</ceb:itemNo>", "<ceb:itemNo>SKU-001</ceb:itemno>"),
        LIST.replace("</ceb:InventoryList>", "</ceb:InventoryHead>"),
        LIST.replace("<ceb:gmodel>", "<ceb:colour><a></b></ceb:colour><ceb:gmodel>"),
        LIST.replace(
            "</ceb:BaseTransfer>\n",
            "</ceb:BaseTransfer>\n<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo></ds:Signature>\n",
        ),
        format!("{LIST}</ceb:CEB603Message>"),
    ];
    for (i, xml) in cases.iter().enumerate() {
        let d = decode_str(xml);
        assert!(d.message.is_none(), "case {i} is not well-formed");
        let syntax = d.diagnostics.iter().find(|x| x.code == "E-XML-SYNTAX");
        assert!(
            syntax.is_some_and(|x| x.line > 1),
            "case {i}: {:#?}",
            d.diagnostics
        );
    }
}
