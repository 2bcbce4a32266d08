//! The rule catalog as data: every check the single window makes, with its code, severity,
//! scope, dates in force, explanation and source. `single-window rules` prints it and
//! `docs/rules.md` is generated from it, so the documentation cannot drift from the checks.

use crate::diagnostic::Severity;
use crate::model::MessageType;
use chrono::NaiveDate;

/// One rule. The code is stable: users and tests refer to it.
#[derive(Debug)]
pub struct Rule {
    pub code: &'static str,
    pub severity: Severity,
    /// Short name.
    pub title_zh: &'static str,
    pub title_en: &'static str,
    /// Messages it applies to; empty = every message.
    pub messages: &'static [MessageType],
    /// Trade modes it applies to; empty = every trade mode.
    pub trade_modes: &'static [&'static str],
    /// In force from this business date (inclusive) …
    pub from: Option<&'static str>,
    /// … until this business date (exclusive).
    pub until: Option<&'static str>,
    /// What the rule requires and how to comply.
    pub zh: &'static str,
    pub en: &'static str,
    /// The regulation or spec section that says so.
    pub source: &'static str,
}

impl Rule {
    /// Whether the rule is in force on a document's business date.
    pub fn in_force(&self, date: NaiveDate) -> bool {
        self.from.and_then(iso_date).is_none_or(|from| date >= from)
            && self
                .until
                .and_then(iso_date)
                .is_none_or(|until| date < until)
    }

    pub fn applies_to(&self, message: MessageType) -> bool {
        self.messages.is_empty() || self.messages.contains(&message)
    }
}

/// `YYYY-MM-DD`, read by hand: rules are dated on every document, so this is on the hot path.
fn iso_date(s: &str) -> Option<NaiveDate> {
    let year = s.get(0..4)?.parse().ok()?;
    let month = s.get(5..7)?.parse().ok()?;
    let day = s.get(8..10)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day)
}

/// Looks a rule up by code.
pub fn rule(code: &str) -> Option<&'static Rule> {
    static BY_CODE: std::sync::OnceLock<std::collections::HashMap<&'static str, &'static Rule>> =
        std::sync::OnceLock::new();
    BY_CODE
        .get_or_init(|| RULES.iter().map(|r| (r.code, r)).collect())
        .get(code)
        .copied()
}

use MessageType::*;
use Severity::{Error, Warning};

const SPEC: &str = "海关跨境电商统一版系统企业对接报文规范（202205版） §2";
const SPEC_CODES: &str = "海关跨境电商统一版系统企业对接报文规范（202205版） 参数代码表";
const BUSINESS: &[MessageType] = &[
    Ceb303, Ceb403, Ceb505, Ceb507, Ceb509, Ceb603, Ceb605, Ceb607, Ceb701, Ceb213, Ceb215,
];
const ORDER_AND_LIST: &[MessageType] = &[Ceb303, Ceb603];
const B2B: &[&str] = &["9710", "9810"];

/// Every rule, format checks first. Keep codes stable; add rather than rename.
pub static RULES: &[Rule] = &[
    // Format: the decoder's findings (message shape, per the 2022 XSD).
    Rule {
        code: "E-XML-SYNTAX",
        severity: Error,
        title_zh: "XML 格式错误",
        title_en: "Malformed XML",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "报文必须是格式正确的 XML 1.0（与 xmllint 的判断一致）：标签成对、正确嵌套，属性值加引号，实体和字符引用合法，只含 XML 允许的字符（不含 NUL 等控制字符），XML 声明只能在最开头，不得含 DOCTYPE。整条报文以 CEB900（returnStatus -1）退回。",
        en: "The message must be well-formed XML 1.0 (as xmllint judges it): tags paired and nested, attribute values quoted, entity and character references valid, only characters XML allows (no NUL or other control characters), the XML declaration only at the very start, no DOCTYPE. The whole message is answered with CEB900 (returnStatus -1).",
        source: "W3C XML 1.0; 报文规范（202205版） 第4章",
    },
    Rule {
        code: "E-XML-LIMIT",
        severity: Error,
        title_zh: "超出解码限制",
        title_en: "Over a decoding limit",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "报文的元素数、嵌套层数、单个元素的属性数、单个文本或属性值的长度、名称长度不得超过本系统的解码限制（默认 250000 个元素、32 层、32 个属性、4 MiB、1000 字节，可配置）。超出的报文在解析前即被拒绝，整条以 CEB900（-1）退回。",
        en: "A message may not exceed the decoding limits of the single window on elements, nesting depth, attributes per element, the length of one text or attribute value and of a name (by default 250,000 elements, 32 levels, 32 attributes, 4 MiB, 1,000 bytes; configurable). Such a message is refused before it is read and answered whole with CEB900 (-1).",
        source: crate::ceb::limits::SOURCE,
    },
    Rule {
        code: "E-UNLISTED",
        severity: Error,
        title_zh: "更多检查结果未列出",
        title_en: "More findings not listed",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "每条报文最多列出 max_diagnostics 条检查结果（默认 1000）；其余的按单证各计为一条，说明还有几条未列出。单证的回执状态不受影响。",
        en: "At most max_diagnostics findings are listed per message (1,000 by default); the rest are counted in one finding per document saying how many were not listed. The documents' verdicts are unchanged.",
        source: crate::ceb::limits::SOURCE,
    },
    Rule {
        code: "E-XML-ENCODING",
        severity: Error,
        title_zh: "编码错误",
        title_en: "Wrong encoding",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "报文以 UTF-8 发送，或在 XML 声明中写明实际编码（如 GBK）。整条报文以 CEB900（-1）退回。",
        en: "Send UTF-8, or declare the real encoding (e.g. GBK) in the XML declaration. The whole message is answered with CEB900 (-1).",
        source: "W3C XML 1.0 §4.3.3",
    },
    Rule {
        code: "E-XML-ROOT",
        severity: Error,
        title_zh: "报文类型无法识别",
        title_en: "Unknown message type",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "根元素必须是海关命名空间 http://www.chinaport.gov.cn/ceb 中的出口报文（CEB303Message 等）。整条报文以 CEB900（-3）退回。",
        en: "The root must be an export message (CEB303Message …) in the customs namespace http://www.chinaport.gov.cn/ceb. The whole message is answered with CEB900 (-3).",
        source: SPEC,
    },
    Rule {
        code: "E-DXP-DATA",
        severity: Error,
        title_zh: "DxpMsg 数据不是 Base64",
        title_en: "DxpMsg Data is not Base64",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "DxpMsg 的 Data 须是完整 CEB 报文的 Base64 编码。",
        en: "The DxpMsg Data must be the Base64 encoding of one whole CEB message.",
        source: "报文规范（202205版） 第4章 终端节点报文",
    },
    Rule {
        code: "E-XML-UNKNOWN",
        severity: Error,
        title_zh: "不允许的元素",
        title_en: "Element not allowed",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "只能使用规范为该节点定义的元素和属性；名称区分大小写。",
        en: "Only the elements and attributes the spec defines there may appear; names are case-sensitive.",
        source: SPEC,
    },
    Rule {
        code: "E-XML-ORDER",
        severity: Error,
        title_zh: "元素顺序错误",
        title_en: "Element out of order",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "元素须按规范表格的顺序出现（XSD 的 sequence）。",
        en: "Elements must appear in the order of the spec's tables (the XSD sequence).",
        source: SPEC,
    },
    Rule {
        code: "E-XML-MISSING",
        severity: Error,
        title_zh: "缺少必填项",
        title_en: "Required element missing",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "规范中必填（minOccurs ≥ 1）的元素和属性必须出现。",
        en: "Elements and attributes the spec makes mandatory (minOccurs ≥ 1) must be present.",
        source: SPEC,
    },
    Rule {
        code: "E-XML-COUNT",
        severity: Error,
        title_zh: "出现次数超限",
        title_en: "Too many occurrences",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "每个元素的出现次数不得超过规范上限（如每条报文最多100份单证，BaseTransfer 只能1个）。报文头部超限时整条报文以 CEB900（-2）退回。",
        en: "No element may occur more often than the spec allows (e.g. at most 100 documents per message, one BaseTransfer). In the envelope the whole message is answered with CEB900 (-2).",
        source: SPEC,
    },
    Rule {
        code: "E-XML-LENGTH",
        severity: Error,
        title_zh: "长度不符",
        title_en: "Wrong length",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "文本长度须在规范的字符数范围内（C36 正好36个字符，C..60 最多60个）。",
        en: "Text must have the number of characters the spec allows (C36 exactly 36, C..60 at most 60).",
        source: SPEC,
    },
    Rule {
        code: "E-XML-NUMBER",
        severity: Error,
        title_zh: "数值格式错误",
        title_en: "Not a valid number",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "数值只含数字和一个小数点；N19,5 最多19位有效数字、5位小数，整数字段不带小数。",
        en: "Numbers hold digits and at most one decimal point; N19,5 allows 19 digits with up to 5 decimals; whole-number fields take no decimals.",
        source: SPEC,
    },
    Rule {
        code: "E-XML-DATE",
        severity: Error,
        title_zh: "日期时间格式错误",
        title_en: "Bad date or time",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "时间为14位 YYYYMMDDhhmmss 或17位 yyyyMMddHHmmssSSS，日期为8位 YYYYMMDD，且须是真实存在的日期时间。",
        en: "Times are 14 digits YYYYMMDDhhmmss or 17 digits yyyyMMddHHmmssSSS, dates 8 digits YYYYMMDD, and must be real calendar moments.",
        source: SPEC,
    },
    Rule {
        code: "E-XML-FIXED",
        severity: Error,
        title_zh: "固定值不符",
        title_en: "Fixed value differs",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "2022版规范把运费标志 fFlag 和保费标志 iFlag 固定为3（总价）。",
        en: "The 2022 schema fixes the freight and insurance flags fFlag and iFlag to 3 (total amount).",
        source: SPEC,
    },
    Rule {
        code: "E-XML-NAMESPACE",
        severity: Error,
        title_zh: "命名空间错误",
        title_en: "Wrong namespace",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "业务元素属于海关命名空间 http://www.chinaport.gov.cn/ceb，签名属于 http://www.w3.org/2000/09/xmldsig#。",
        en: "Business elements belong to the customs namespace http://www.chinaport.gov.cn/ceb, the signature to http://www.w3.org/2000/09/xmldsig#.",
        source: SPEC,
    },
    Rule {
        code: "E-XML-TEXT",
        severity: Error,
        title_zh: "多余文本",
        title_en: "Stray text",
        messages: &[],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "只含子元素的节点下不能直接出现文本。",
        en: "Elements that hold child elements may not hold text directly.",
        source: SPEC,
    },
    // Field rules: values the schema lets through but the spec does not.
    Rule {
        code: "FIELD-EMPTY",
        severity: Error,
        title_zh: "必填项为空",
        title_en: "Required value empty",
        messages: BUSINESS,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "2022版 XSD 取消了必填字符串的最小长度，空值能通过格式校验，但规范要求填写：请填入实际值。",
        en: "The 2022 XSD dropped the minimum length of mandatory strings, so empty values pass the schema, but the spec requires a value: fill it in.",
        source: SPEC,
    },
    Rule {
        code: "CODE-VALUE",
        severity: Error,
        title_zh: "代码不在参数表中",
        title_en: "Code not in its table",
        messages: BUSINESS,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "币制、国别、计量单位、运输方式、包装种类、贸易方式、报送类型、业务状态、订单类型、申报业务类型、进出口标记等须取海关参数表中的代码（如币制人民币为142，不是CNY）。",
        en: "Currency, country, unit, transport mode, packaging, trade mode, appType, appStatus, orderType, statisticsFlag, ieFlag and the like must be codes from the customs tables (e.g. currency 142 for yuan, not CNY).",
        source: SPEC_CODES,
    },
    Rule {
        code: "CODE-IE-FLAG",
        severity: Error,
        title_zh: "进出口标记不符",
        title_en: "Wrong import/export flag",
        messages: &[Ceb603, Ceb507, Ceb213, Ceb215],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "出口清单和运抵单填 E；出口退货申请单和退货入区明细单填 I。",
        en: "Export lists and arrival reports say E; export-return applications and return arrivals say I.",
        source: SPEC,
    },
    Rule {
        code: "ID-USCC",
        severity: Error,
        title_zh: "统一社会信用代码错误",
        title_en: "Bad unified social credit code",
        messages: BUSINESS,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "18位企业代码须符合 GB 32100：31个字符（不含 I、O、S、V、Z），第9至17位为组织机构代码（含 GB 11714 校验位），第18位为校验位。",
        en: "An 18-character enterprise code must follow GB 32100: 31 symbols (no I, O, S, V, Z), positions 9–17 an organisation code with its GB 11714 check character, and a check character at position 18.",
        source: "GB 32100-2015; GB 11714-1997",
    },
    Rule {
        code: "ID-CUSTOMS-CODE",
        severity: Error,
        title_zh: "海关注册编码错误",
        title_en: "Bad customs registration code",
        messages: BUSINESS,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "10位企业代码为海关注册编码：第1–4位地区代码（数字），第5位经济区划（数字1–9），第6位企业性质（1–9），第7–10位顺序号（数字或大写字母）。",
        en: "A 10-character enterprise code is a customs registration code: positions 1–4 region digits, 5 the zone type (a digit 1–9), 6 the enterprise type (1–9), 7–10 a sequence of digits or capitals.",
        source: "海关注册编码规则（ceb-export-messages.md §5.2）",
    },
    Rule {
        code: "ID-ENTERPRISE-CODE",
        severity: Error,
        title_zh: "企业代码形式错误",
        title_en: "Enterprise code of no known form",
        messages: BUSINESS,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "企业代码填10位海关注册编码或18位统一社会信用代码；境外平台的 ebpCode 可填“无”，未备案的生产销售单位 ownerCode 可填“NO”。",
        en: "Enterprise codes are the 10-character customs code or the 18-character unified social credit code; a foreign platform's ebpCode may be 无 and an unregistered producer's ownerCode NO.",
        source: SPEC,
    },
    Rule {
        code: "ID-GUID",
        severity: Warning,
        title_zh: "GUID 形式错误",
        title_en: "Bad GUID",
        messages: BUSINESS,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "guid 宜为36位 8-4-4-4-12 十六进制形式（如 4CDE1CFD-EDED-46B1-946C-B8022E42FC94），每份单证唯一；XSD 只校验长度，其他36位字符串仍被受理。",
        en: "guid should be 36 characters in the 8-4-4-4-12 hexadecimal form (e.g. 4CDE1CFD-EDED-46B1-946C-B8022E42FC94), unique per document; the XSD checks only the length, so other 36-character strings are still accepted.",
        source: SPEC,
    },
    Rule {
        code: "ID-GUID-CASE",
        severity: Warning,
        title_zh: "GUID 含小写字母",
        title_en: "GUID in lower case",
        messages: BUSINESS,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "规范要求 GUID 的英文字母大写；小写仍被受理。",
        en: "The spec asks for upper-case letters in GUIDs; lower case is still accepted.",
        source: SPEC,
    },
    Rule {
        code: "NUM-INTEGER-DIGITS",
        severity: Error,
        title_zh: "整数位过多",
        title_en: "Too many integer digits",
        messages: BUSINESS,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "N19,5 的金额、数量、重量整数部分最多14位。",
        en: "Amounts, quantities and weights of type N19,5 have at most 14 integer digits.",
        source: SPEC,
    },
    // Consistency inside one document. Tolerances are parameters (none is published).
    Rule {
        code: "SUM-TOTAL-PRICE",
        severity: Error,
        title_zh: "总价不等于数量×单价",
        title_en: "Total price is not quantity × price",
        messages: ORDER_AND_LIST,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "表体总价 totalPrice 应等于申报数量 qty × 单价 price（容差见参数 amount_tolerance）。",
        en: "An item's totalPrice must equal qty × price (within the amount_tolerance parameter).",
        source: SPEC,
    },
    Rule {
        code: "SUM-GOODS-VALUE",
        severity: Error,
        title_zh: "订单商品价格不等于表体合计",
        title_en: "Order goods value is not the sum of its items",
        messages: &[Ceb303],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "订单表头商品价格 goodsValue 应等于各表体总价之和（容差见参数 amount_tolerance）。",
        en: "The order head's goodsValue must equal the sum of the items' totalPrice (within amount_tolerance).",
        source: SPEC,
    },
    Rule {
        code: "POSITIVE-AMOUNT",
        severity: Error,
        title_zh: "单价、总价须大于零",
        title_en: "Prices must be positive",
        messages: ORDER_AND_LIST,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "表体单价和总价须大于0。",
        en: "Item price and totalPrice must be greater than 0.",
        source: SPEC,
    },
    Rule {
        code: "WEIGHT-POSITIVE",
        severity: Error,
        title_zh: "重量须大于零",
        title_en: "Weights must be positive",
        messages: &[Ceb603, Ceb505, Ceb607],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "毛重、净重须大于0（单位千克）。",
        en: "Gross and net weights must be greater than 0 (kilograms).",
        source: SPEC,
    },
    Rule {
        code: "WEIGHT-NET-GROSS",
        severity: Error,
        title_zh: "净重大于毛重",
        title_en: "Net weight above gross weight",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "净重不得大于毛重。",
        en: "The net weight may not exceed the gross weight.",
        source: SPEC,
    },
    Rule {
        code: "PACK-POSITIVE",
        severity: Error,
        title_zh: "件数须至少为1",
        title_en: "Package count below 1",
        messages: &[Ceb603, Ceb505],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "件数 packNo 至少为1。",
        en: "The package count packNo is at least 1.",
        source: SPEC,
    },
    Rule {
        code: "SEQ-GNUM",
        severity: Error,
        title_zh: "商品序号不连续",
        title_en: "Item numbers not 1..n",
        messages: &[Ceb303, Ceb603, Ceb507, Ceb509, Ceb607],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "表体序号 gnum 从1开始按顺序连续编号，不得重复或跳号；清单的 gnum 与订单商品序号对应。",
        en: "Item numbers gnum run 1, 2, 3 … in order without gaps or repeats; a list's gnum matches the order's.",
        source: SPEC,
    },
    Rule {
        code: "QTY-LEGAL-UNIT",
        severity: Error,
        title_zh: "法定数量与申报数量不符",
        title_en: "Legal quantity differs from declared quantity",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "申报计量单位与法定计量单位相同时，法定数量 qty1 应等于申报数量 qty。",
        en: "When the declared unit equals the legal unit, the legal quantity qty1 must equal qty.",
        source: SPEC,
    },
    Rule {
        code: "QTY-SECOND-UNIT",
        severity: Error,
        title_zh: "第二数量与第二单位不配套",
        title_en: "Second quantity without second unit (or the reverse)",
        messages: &[Ceb603, Ceb213],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "有第二计量单位 unit2 时必须填第二数量 qty2 且大于0；没有 unit2 时不填 qty2。",
        en: "With a second unit unit2 the second quantity qty2 is required and above 0; without unit2, leave qty2 out.",
        source: SPEC,
    },
    Rule {
        code: "SEQ-MESSAGE",
        severity: Error,
        title_zh: "拆分报文序号错误",
        title_en: "Split-message numbering wrong",
        messages: &[Ceb507, Ceb509, Ceb607, Ceb701],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "报文总数 msgCount 至少为1，报文序号 msgSeqNo 在1到 msgCount 之间。",
        en: "msgCount is at least 1 and msgSeqNo lies between 1 and msgCount.",
        source: SPEC,
    },
    Rule {
        code: "RETURN-COUNTRY",
        severity: Error,
        title_zh: "退货启运国不能为中国",
        title_en: "Return shipped from China",
        messages: &[Ceb213],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "退货申请单的启运国是货物退回出发的国家（地区），不能填142中国。",
        en: "The country of a return is where the goods come back from; it cannot be 142 (China).",
        source: SPEC,
    },
    // Trade-mode rules, dated.
    Rule {
        code: "TM-B2B-NOT-YET",
        severity: Error,
        title_zh: "9710/9810 尚未设立",
        title_en: "9710/9810 not yet in force",
        messages: &[Ceb603],
        trade_modes: B2B,
        from: None,
        until: Some("2020-07-01"),
        zh: "跨境电商B2B直接出口（9710）和出口海外仓（9810）自2020年7月1日起试点，此前不能使用。",
        en: "B2B direct export (9710) and export to overseas warehouses (9810) exist from 2020-07-01; they cannot be used before.",
        source: "海关总署公告2020年第75号",
    },
    Rule {
        code: "TM-B2B-PILOT-CUSTOMS",
        severity: Error,
        title_zh: "非试点海关",
        title_en: "Customs outside the pilot",
        messages: &[Ceb603],
        trade_modes: B2B,
        from: Some("2020-07-01"),
        until: Some("2021-07-01"),
        zh: "2021年7月1日全国推广前，9710/9810 只在试点海关受理（2020-07-01起10个，2020-09-01起再增12个）；请在试点海关申报或改用一般贸易报关单。",
        en: "Before the nationwide roll-out on 2021-07-01, 9710/9810 were accepted only at pilot customs (10 from 2020-07-01, 12 more from 2020-09-01); declare at a pilot customs or by customs declaration.",
        source: "海关总署公告2020年第75号、第92号、2021年第47号",
    },
    Rule {
        code: "TM-B2B-LIST-CEILING",
        severity: Error,
        title_zh: "超过清单申报限额",
        title_en: "Above the list ceiling",
        messages: &[Ceb603],
        trade_modes: B2B,
        from: Some("2020-07-01"),
        until: None,
        zh: "9710/9810 单票货值超过人民币5000元（外币按汇率参数折算），或涉证、涉检、涉税的，须以报关单申报，不能用申报清单。",
        en: "A 9710/9810 consignment above RMB 5,000 (foreign currency converted with the rate parameters), or one involving licences, inspection or tax, must be declared with a customs declaration (报关单), not a list.",
        source: "海关总署公告2020年第75号",
    },
    Rule {
        code: "TM-SIMPLIFIED-LICENCE",
        severity: Error,
        title_zh: "简化申报不得涉证",
        title_en: "Simplified declaration with a licence",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "申报业务类型 A（简化申报）只适用于不涉证、不涉出口关税、不享受出口退税的商品；有许可证号的清单请用 B（汇总申报）。",
        en: "statisticsFlag A (simplified) is only for goods without licence, export duty or export refund; a list with a licence number must use B (summary declaration).",
        source: "报文规范（202205版） CEB603 statisticsFlag",
    },
    Rule {
        code: "TM-SIMPLIFIED-HEADING",
        severity: Warning,
        title_zh: "简化申报的商品编码",
        title_en: "Commodity code under simplified declaration",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "简化申报（A）按税则填商品编码前4位，其余6位补0（如 6109000000）。",
        en: "Under simplified declaration (A) the commodity code is the 4-digit tariff heading followed by six zeros (e.g. 6109000000).",
        source: "报文规范（202205版） CEB603 statisticsFlag; 企业端实践",
    },
    Rule {
        code: "TM-RETURN-MODE",
        severity: Error,
        title_zh: "退货监管方式错误",
        title_en: "Wrong return trade mode",
        messages: &[Ceb213],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "出口退货的监管方式为9661（一般退货）或1261（特殊区域退货）。",
        en: "The trade mode of an export return is 9661 (general) or 1261 (special area).",
        source: "报文规范（202205版） CEB213",
    },
    Rule {
        code: "TM-EXPORT-MODE",
        severity: Error,
        title_zh: "出口清单贸易方式错误",
        title_en: "Wrong export trade mode",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "出口申报清单的贸易方式为9610、1210、9710或9810。",
        en: "The trade mode of an export list is 9610, 1210, 9710 or 9810.",
        source: "海关总署公告2014年第12号、第57号；2020年第75号",
    },
    Rule {
        code: "TM-ORDER-TYPE",
        severity: Error,
        title_zh: "订单类型与贸易方式不符",
        title_en: "Order type does not fit the trade mode",
        messages: &[Ceb603],
        trade_modes: &["9610", "9710", "9810"],
        from: None,
        until: None,
        zh: "清单对应订单的订单类型须与贸易方式一致：E（B2C 出口订单）对9610，B（B2B 出口订单）对9710，W（海外仓订仓单）对9810。",
        en: "The order behind a list must fit its trade mode: E (B2C export order) for 9610, B (B2B export order) for 9710, W (overseas-warehouse booking) for 9810.",
        source: "报文规范（202205版） 修订说明；海关总署公告2020年第75号",
    },
    Rule {
        code: "TM-9610-RECEIPT",
        severity: Error,
        title_zh: "缺少收款单",
        title_en: "Payment receipt missing",
        messages: &[Ceb603],
        trade_modes: &["9610"],
        from: None,
        until: Some("2024-12-15"),
        zh: "2024年12月15日前，9610 出口清单对应的订单须有收款单（CEB403）；此后不再需要。",
        en: "Before 2024-12-15, the order behind a 9610 export list needed a payment receipt (CEB403); from that date it is no longer required.",
        source: "海关总署公告2018年第194号；2024年第167号",
    },
    // Links between the documents of a parcel, when they are checked together.
    Rule {
        code: "LINK-EBC",
        severity: Error,
        title_zh: "清单与订单的电商企业不一致",
        title_en: "List and order name different e-commerce enterprises",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "清单的电商企业代码 ebcCode（收发货人）须与订单一致。",
        en: "The list's e-commerce enterprise (ebcCode, the consignor) must be the order's.",
        source: "报文规范（202205版） CEB303 ebcCode“对应清单的收发货人”",
    },
    Rule {
        code: "LINK-ITEM-MISSING",
        severity: Error,
        title_zh: "清单商品不在订单中",
        title_en: "List item not in the order",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "清单表体的商品序号 gnum 须对应订单表体中的商品。",
        en: "Each list item's gnum must name an item of the order.",
        source: "报文规范（202205版） CEB603 gnum“与电子订单商品序号关联对应”",
    },
    Rule {
        code: "LINK-ITEM-DIFF",
        severity: Error,
        title_zh: "清单商品与订单不符",
        title_en: "List item differs from the order",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "清单商品的货号、币制、数量、总价须与订单中同序号的商品一致（总价容差见参数 amount_tolerance）。",
        en: "A list item's itemNo, currency, quantity and total must match the order item with the same gnum (totals within amount_tolerance).",
        source: "报文规范（202205版） §4 三单比对；cbec-export-rules §5.2",
    },
    Rule {
        code: "LINK-RECEIPT-EBC",
        severity: Error,
        title_zh: "收款单与清单的电商企业不一致",
        title_en: "Payment receipt names another e-commerce enterprise",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "收款单的电商企业代码须与清单一致。",
        en: "The payment receipt's ebcCode must be the list's.",
        source: "报文规范（202205版） CEB403 ebcCode“对应清单的收发货人”",
    },
    Rule {
        code: "LINK-RECEIPT-AMOUNT",
        severity: Warning,
        title_zh: "收款金额与订单不符",
        title_en: "Amount received differs from the order",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "收款金额宜等于订单商品价格加运费；未公布容差，故只作提示（容差见参数 amount_tolerance）。",
        en: "The amount received should equal the order's goods value plus freight; no tolerance is published, so this is a warning (amount_tolerance).",
        source: "cbec-export-rules §5.4（设计建议）",
    },
    Rule {
        code: "LINK-WAYBILL-EBC",
        severity: Error,
        title_zh: "运单与清单的电商企业不一致",
        title_en: "Waybill names another e-commerce enterprise",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "运单填了电商企业代码时，须与清单一致。",
        en: "When the waybill names an e-commerce enterprise, it must be the list's.",
        source: "报文规范（202205版） CEB505 ebcCode",
    },
    Rule {
        code: "LINK-WEIGHT",
        severity: Warning,
        title_zh: "清单毛重与运单相差过大",
        title_en: "List and waybill weights far apart",
        messages: &[Ceb603],
        trade_modes: &[],
        from: None,
        until: None,
        zh: "清单毛重宜与运单毛重相符（相对容差见参数 weight_tolerance，默认10%）。",
        en: "The list's gross weight should agree with the waybill's (relative tolerance weight_tolerance, 10 % by default).",
        source: "报文规范（202205版） §4 三单比对",
    },
    // Parties: the transmitter and every party must be registered for their role.
    Rule {
        code: "REG-TRANSMITTER",
        severity: Error,
        title_zh: "传输企业未备案",
        title_en: "Transmitter not registered",
        messages: BUSINESS,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "BaseTransfer 的传输企业 copCode 须已在海关备案，dxpId 须与备案的 DXP 编号一致，且不得是其他企业备案的 DXP 编号（备案信息见企业名录参数 --registry）。",
        en: "The transmitter in BaseTransfer (copCode) must be registered with customs, its dxpId must match the registered DXP id and may not be another enterprise's registered DXP id (see the enterprise registry, --registry).",
        source: "海关总署公告2018年第194号；2020年第75号",
    },
    Rule {
        code: "REG-MANDATE",
        severity: Error,
        title_zh: "传输企业无权申报该单证",
        title_en: "Transmitter not mandated for the document",
        messages: BUSINESS,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "单证归申报它的企业所有：订单、收款单由电商企业或电商平台（或其委托的企业）传输，运单、离境单由物流企业传输，运抵单、理货单由监管场所经营人或物流企业传输，清单、撤销、总分单、汇总申请、退货申请由申报企业传输，且申报企业须为电商企业本身或受其委托。委托关系见企业名录的 agents。",
        en: "A document is its declaring enterprise's: orders and payment receipts are sent by the e-commerce enterprise or platform (or an enterprise they mandated), waybills and departures by the carrier, arrivals and tallies by the site operator or the carrier, lists, cancellations, consolidations, summary and return applications by the declaring agent, who must be the e-commerce enterprise itself or mandated by it. Mandates are the registry's agents.",
        source: "海关总署公告2018年第194号（申报企业、物流企业传输数据）；2020年第75号 §四(一)；cbec-export-rules §1.4",
    },
    Rule {
        code: "REG-ROLE",
        severity: Error,
        title_zh: "参与企业未按角色备案",
        title_en: "Party not registered for its role",
        messages: BUSINESS,
        trade_modes: &[],
        from: None,
        until: None,
        zh: "电商平台、电商企业、物流企业、支付企业、申报企业、监管场所经营人、报关企业、生产销售单位须以相应角色在海关备案或信息登记。",
        en: "Platforms, e-commerce enterprises, logistics, payment and declaring enterprises, site operators, customs brokers and producers must be registered with customs in that role.",
        source: "海关总署公告2014年第12号；2018年第194号；2020年第75号",
    },
    Rule {
        code: "REG-9810-FILING",
        severity: Error,
        title_zh: "未办理出口海外仓业务模式备案",
        title_en: "No overseas-warehouse business filing",
        messages: &[Ceb603],
        trade_modes: &["9810"],
        from: Some("2020-07-01"),
        until: Some("2024-12-15"),
        zh: "2024年12月15日前，开展9810业务的企业须先办理出口海外仓业务模式备案；此后取消该备案。",
        en: "Before 2024-12-15, enterprises doing 9810 business had to file the overseas-warehouse business model with customs; the filing was abolished from that date.",
        source: "海关总署公告2020年第75号；2024年第167号",
    },
];

impl Rule {
    /// Messages as users name them (`CEB603, CEB303`), or `all`.
    pub fn messages_label(&self) -> String {
        if self.messages.is_empty() {
            "all".into()
        } else {
            self.messages
                .iter()
                .map(|m| m.label())
                .collect::<Vec<_>>()
                .join(", ")
        }
    }

    pub fn trade_modes_label(&self) -> String {
        if self.trade_modes.is_empty() {
            "all".into()
        } else {
            self.trade_modes.join(", ")
        }
    }

    /// `from … until` in words.
    pub fn dates_label(&self) -> String {
        match (self.from, self.until) {
            (None, None) => "always".into(),
            (Some(f), None) => format!("from {f}"),
            (None, Some(u)) => format!("before {u}"),
            (Some(f), Some(u)) => format!("{f} to {u} (exclusive)"),
        }
    }
}

/// The catalog as a Markdown document (`docs/rules.md`).
pub fn markdown() -> String {
    let mut out = String::from(
        "# Rules\n\n\
         Generated from `src/rules/catalog.rs` by `single-window rules --markdown`; do not edit.\n\
         A rule is judged on the document's own business date (`appTime`), never the clock.\n\
         Errors reject the document; warnings are reported and the document is accepted.\n\n\
         | code | severity | rule | messages | trade modes | in force |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for r in RULES {
        out.push_str(&format!(
            "| [`{}`](#{}) | {} | {} / {} | {} | {} | {} |\n",
            r.code,
            r.code.to_lowercase(),
            r.severity.as_str(),
            r.title_zh,
            r.title_en,
            r.messages_label(),
            r.trade_modes_label(),
            r.dates_label()
        ));
    }
    for r in RULES {
        out.push_str(&format!(
            "\n## {}\n\n**{}** · {} · {}\n\n{}\n\n{}\n\n- messages: {}\n- trade modes: {}\n- in force: {}\n- source: {}\n",
            r.code,
            r.severity.as_str(),
            r.title_zh,
            r.title_en,
            r.zh,
            r.en,
            r.messages_label(),
            r.trade_modes_label(),
            r.dates_label(),
            r.source
        ));
    }
    out
}
