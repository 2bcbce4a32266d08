//! VAT and consumption-tax treatment of one export line, with the reason for the outcome
//! (reference §2). Judged on the export date:
//!
//! - 9610 retail: 退(免)税 when every condition of 财税〔2013〕96号 Art. 1 holds; else 免税
//!   under Art. 2; else 无票免税 under 财税〔2018〕103号 for a 综试区 exporter; else 征税 as a
//!   deemed domestic sale.
//! - 9710/9810: the general export rules (财税〔2012〕39号); 9810 goods exported from
//!   2025-01-27 are pre-refunded (HWC-YT, 国家税务总局公告2025年第3号) and reconciled by
//!   30 April of the next year.
//! - Goods whose refund was cancelled are taxed as domestic sales.
//! - Exports from 2026-01-01 (VAT Law era) are computed the same way and marked provisional.
//! - Goods that come back (CEB213 accepted) undo their share of the export on the return's
//!   date: a refund is repaid, a deemed sale's tax reversed as a sales return, the revenue
//!   reduced (财政部 海关总署 税务总局公告2023年第4号 and its extensions, reference §2.7).

use super::profile::{Kind, Period, Taxpayer};
use super::rates::Rates;
use super::{date, fx::FxRates, money};
use crate::model::said::Said;
use chrono::{Datelike, Days, Months, NaiveDate};
use rust_decimal::Decimal;

/// The customs facts of one export line the treatment depends on (from a ledger row).
#[derive(Debug, Clone, PartialEq)]
pub struct LineFacts<'a> {
    pub trade_mode: &'a str,
    /// The export date (`ieDate`).
    pub export_date: NaiveDate,
    /// Customs the list was declared at.
    pub customs_code: &'a str,
    /// A: simplified, counted only (no customs declaration); B: merged into one (汇总申报).
    pub statistics_flag: &'a str,
    pub gcode: &'a str,
    /// FOB value of the line (`totalPrice`) in `currency`.
    pub fob: Decimal,
    pub currency: &'a str,
    /// Declared quantity (`qty`): returned quantities are shares of it.
    pub qty: Decimal,
    /// Quantities that came back, each with its return's business date.
    pub returns: Vec<(NaiveDate, Decimal)>,
}

impl<'a> LineFacts<'a> {
    /// The facts of one line of a ledger declaration.
    pub fn of(
        row: &crate::engine::ledger::Row<'a>,
        line: &crate::engine::ledger::Line<'a>,
    ) -> Self {
        // Returns are few: the applications are read only for a line that has some.
        let returns = if line.returned().qty.is_zero() {
            Vec::new()
        } else {
            row.returns()
                .filter_map(|r| {
                    let (_, back) = r.lines.iter().find(|(g, _)| *g == line.gnum())?;
                    Some((r.app_date, back.qty))
                })
                .collect()
        };
        LineFacts {
            trade_mode: row.trade_mode(),
            export_date: row.export_date(),
            customs_code: row.customs_code(),
            statistics_flag: row.statistics_flag(),
            gcode: line.gcode(),
            fob: line.total_price(),
            currency: line.currency(),
            qty: line.qty(),
            returns,
        }
    }
}

/// What became of 9810 goods by the time of the reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverseasSale {
    /// Sold at the declared amount.
    Sold,
    /// Sold, at `factor` × the declared amount.
    SoldAt(Decimal),
    /// Still in the overseas warehouse.
    Unsold,
}

/// Facts about a line that customs data does not carry: the enterprise's purchase records,
/// proceeds and overseas sales.
#[derive(Debug, Clone, PartialEq)]
pub struct LineInputs {
    /// A valid purchase VAT invoice (or other lawful purchase voucher) backs the goods.
    pub purchase_invoice: bool,
    /// Purchase amount excluding VAT, CNY (the refund base of a trading enterprise).
    pub purchase_amount: Decimal,
    /// FX proceeds received by the end of the refund-declaration period.
    pub proceeds_received: bool,
    /// 9810 only: the sale found at reconciliation and when it was reconciled (`None`: never).
    pub overseas: Option<(OverseasSale, Option<NaiveDate>)>,
}

/// Parameters of the VAT rules; the dates and choices the reference leaves unverified.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// 财税〔2013〕96号 in force (unverified: 2014-01-01).
    pub retail_rules_from: NaiveDate,
    /// 财税〔2018〕103号 in force, by export date (unverified: 2018-10-01).
    pub no_invoice_from: NaiveDate,
    /// 9810 pre-refund (国家税务总局公告2025年第3号).
    pub pre_refund_from: NaiveDate,
    /// Exports from this date are provisional (VAT Law, 财政部 税务总局公告2026年第11号).
    pub provisional_from: NaiveDate,
    /// Collection rate of a small-scale taxpayer on a deemed sale (3 % statutory; whether
    /// the temporary 1 % applies to deemed export sales is unverified).
    pub small_scale_rate: Decimal,
    /// A 9610 list flagged B is merged into a customs declaration (汇总申报), which 96号
    /// Art. 1–2 require (inference, unverified).
    pub summary_gives_declaration: bool,
    /// A 9710/9810 list flagged B is merged into a customs declaration too (unverified).
    pub b2b_summary_gives_declaration: bool,
    /// Days from export until the tax office completes a 9810 pre-refund (design).
    pub pre_refund_lag_days: u32,
    /// Exports whose return within `return_relief_months` is free of import taxes on
    /// re-entry (公告2023年第4号 from 2023-01-30 (day unverified), extended to 2025-12-31 and
    /// by 公告2026年第16号 to 2027-12-31).
    pub return_relief_from: NaiveDate,
    pub return_relief_to: NaiveDate,
    pub return_relief_months: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            retail_rules_from: date(2014, 1, 1),
            no_invoice_from: date(2018, 10, 1),
            pre_refund_from: date(2025, 1, 27),
            provisional_from: date(2026, 1, 1),
            small_scale_rate: Decimal::new(3, 2),
            summary_gives_declaration: true,
            b2b_summary_gives_declaration: true,
            pre_refund_lag_days: 30,
            return_relief_from: date(2023, 1, 30),
            return_relief_to: date(2027, 12, 31),
            return_relief_months: 6,
        }
    }
}

/// The outcome for one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Regime {
    /// 退(免)税.
    Refund,
    /// 9810 海外仓预退 (HWC-YT): refunded on departure, reconciled later.
    PreRefund,
    /// 免税 (exempt, no refund).
    Exempt,
    /// 无票免税 (综试区 exemption without purchase invoices).
    ExemptNoInvoice,
    /// 征税: taxed as a deemed domestic sale.
    Taxed,
    /// Not assessed: a fact is missing (profile, rate, exchange rate, trade mode).
    Unassessed,
}

impl Regime {
    pub const ALL: [Regime; 6] = [
        Regime::Refund,
        Regime::PreRefund,
        Regime::Exempt,
        Regime::ExemptNoInvoice,
        Regime::Taxed,
        Regime::Unassessed,
    ];

    /// Stable short name, as written in tables.
    pub fn code(self) -> &'static str {
        match self {
            Regime::Refund => "refund",
            Regime::PreRefund => "pre-refund",
            Regime::Exempt => "exempt",
            Regime::ExemptNoInvoice => "exempt-no-invoice",
            Regime::Taxed => "taxed",
            Regime::Unassessed => "unassessed",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            Regime::Refund => "退(免)税",
            Regime::PreRefund => "海外仓预退(HWC-YT)",
            Regime::Exempt => "免税",
            Regime::ExemptNoInvoice => "无票免税",
            Regime::Taxed => "征税(视同内销)",
            Regime::Unassessed => "未评定",
        }
    }
}

/// Reconciliation outcome of a 9810 pre-refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// All sold as declared: no adjustment.
    Confirmed,
    /// Sold at a different amount: reversed and declared again.
    Adjusted,
    /// Unsold: the pre-refund is repaid in full.
    Repaid,
    /// Not reconciled by the deadline: the tax office recovers the pre-refund.
    Recovered,
}

impl Outcome {
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Confirmed => "confirmed",
            Outcome::Adjusted => "adjusted",
            Outcome::Repaid => "repaid",
            Outcome::Recovered => "recovered",
        }
    }
}

/// The reconciliation of one pre-refunded line.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconciliation {
    /// The window: from the month after the pre-refund to 30 April of the next year.
    pub opens: NaiveDate,
    pub deadline: NaiveDate,
    pub outcome: Outcome,
    /// When the adjustment is booked (the reconciliation date, or the deadline).
    pub booked_on: NaiveDate,
    /// Signed change to the refund (negative: repaid).
    pub adjustment: Decimal,
    /// The refund kept after reconciliation.
    pub final_refund: Decimal,
}

/// What one return undoes of a line's export, booked on the return's date.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnAdjustment {
    /// The return's business date.
    pub on: NaiveDate,
    pub qty: Decimal,
    /// Share of the line's declared quantity.
    pub share: Decimal,
    /// Export revenue reversed (FOB of the returned goods).
    pub fob_cny: Decimal,
    /// VAT and consumption-tax refund repaid.
    pub refund_repaid: Decimal,
    /// Deemed-sale output VAT and consumption tax reversed (a sales return).
    pub tax_reversed: Decimal,
    /// Within the return relief: no import duty, VAT or CT on re-entry.
    pub relief: bool,
}

/// The treatment of one line, with its amounts in CNY.
#[derive(Debug, Clone, PartialEq)]
pub struct Treatment {
    pub regime: Regime,
    /// The instrument the outcome rests on.
    pub basis: &'static str,
    /// Why: each rule tried and what held or failed, in order, in Chinese and English.
    pub reasons: Vec<Said>,
    /// How the amounts were computed.
    pub computation: Vec<String>,
    pub fob_cny: Decimal,
    pub vat_rate: Decimal,
    pub refund_rate: Decimal,
    pub consumption_rate: Decimal,
    /// VAT refund (trading: purchase × refund rate; producing: 免抵退 amount, FOB × rate).
    pub vat_refund: Decimal,
    /// Consumption tax refunded (trading enterprises).
    pub ct_refund: Decimal,
    /// Output VAT of a deemed domestic sale.
    pub output_vat: Decimal,
    /// Consumption tax of a deemed domestic sale.
    pub consumption_tax: Decimal,
    /// Exported in the VAT Law era whose export rules are not fully known.
    pub provisional: bool,
    pub reconciliation: Option<Reconciliation>,
    /// The returns of the line's goods, in the order applied.
    pub returns: Vec<ReturnAdjustment>,
}

impl Treatment {
    fn unassessed(reason: Said) -> Treatment {
        Treatment {
            regime: Regime::Unassessed,
            basis: "",
            reasons: vec![reason],
            computation: Vec::new(),
            fob_cny: Decimal::ZERO,
            vat_rate: Decimal::ZERO,
            refund_rate: Decimal::ZERO,
            consumption_rate: Decimal::ZERO,
            vat_refund: Decimal::ZERO,
            ct_refund: Decimal::ZERO,
            output_vat: Decimal::ZERO,
            consumption_tax: Decimal::ZERO,
            provisional: false,
            reconciliation: None,
            returns: Vec::new(),
        }
    }
}

/// Conditions of one rule: each named, holding or not.
/// Why a list that was not summarised has no customs declaration.
const NOT_DECLARED: Said = Said::fixed(
    "清单未汇总生成出口报关单",
    "no customs declaration from the list",
);

struct Test {
    /// The instrument, e.g. `财税〔2013〕96号 Art. 1 (退(免)税)`, the same in both languages.
    name: &'static str,
    held: Vec<Said>,
    failed: Vec<Said>,
}

impl Test {
    fn new(name: &'static str) -> Test {
        Test {
            name,
            held: Vec::new(),
            failed: Vec::new(),
        }
    }

    fn check(&mut self, ok: bool, yes: Said, no: Said) -> &mut Self {
        if ok {
            self.held.push(yes);
        } else {
            self.failed.push(no);
        }
        self
    }

    /// The condition that the rule is in force on `day` (from `from` on).
    fn in_force(&mut self, day: NaiveDate, from: NaiveDate) -> &mut Self {
        self.check(
            day >= from,
            Said::fixed("已生效", "in force"),
            Said::new(
                format!("{from} 前未生效"),
                format!("not in force before {from}"),
            ),
        )
    }

    /// The condition that the list made a customs declaration (`otherwise` says why not).
    fn declared(&mut self, declaration: bool, otherwise: Said) -> &mut Self {
        self.check(
            declaration,
            Said::fixed("有出口报关单", "customs declaration"),
            otherwise,
        )
    }

    /// The condition that the line's refund is not cancelled.
    fn not_cancelled(&mut self, cancelled: bool, why: &Said) -> &mut Self {
        self.check(
            !cancelled,
            Said::fixed("未取消退税", "refund not cancelled"),
            why.clone(),
        )
    }

    /// What every refund asks: a general taxpayer with its refund qualification filed, a
    /// customs declaration, and for a trading enterprise a purchase VAT invoice.
    fn refund_basics(
        &mut self,
        p: &Period,
        inputs: &LineInputs,
        declaration: bool,
        no_declaration: Said,
    ) -> &mut Self {
        let producing = p.kind == Kind::Producing;
        self.check(
            p.taxpayer == Taxpayer::General,
            Said::fixed("一般纳税人", "general taxpayer"),
            Said::fixed("非一般纳税人", "not a general taxpayer"),
        )
        .check(
            p.refund_filed,
            Said::fixed("已办理出口退（免）税备案", "refund qualification filed"),
            Said::fixed("未办理出口退（免）税备案", "refund qualification not filed"),
        )
        .declared(declaration, no_declaration)
        .check(
            producing || inputs.purchase_invoice,
            if producing {
                Said::fixed("生产企业", "producing enterprise")
            } else {
                Said::fixed("取得增值税专用发票（进货）", "purchase VAT invoice held")
            },
            Said::fixed(
                "外贸企业未取得进货增值税专用发票",
                "trading enterprise without a purchase VAT invoice",
            ),
        )
    }

    fn passed(&self) -> bool {
        self.failed.is_empty()
    }

    fn explain(&self) -> Said {
        if self.passed() {
            Said::listing(
                &format!("{} 条件满足：", self.name),
                &format!("{} met: ", self.name),
                &self.held,
            )
        } else {
            Said::listing(
                &format!("{} 条件不满足：", self.name),
                &format!("{} not met: ", self.name),
                &self.failed,
            )
        }
    }
}

/// Treats one export line of an enterprise whose facts on the export date are `profile`.
pub fn treat(
    line: &LineFacts<'_>,
    profile: Option<&Period>,
    inputs: &LineInputs,
    rates: &Rates,
    fx: &FxRates,
    params: &Params,
) -> Treatment {
    let day = line.export_date;
    let Some(p) = profile else {
        return Treatment::unassessed(Said::new(
            format!("{day} 没有适用的出口企业税务档案"),
            format!("no tax profile of the exporter holds on {day}"),
        ));
    };
    let Some(fob_cny) = fx.to_cny(line.fob, line.currency, day).map(money) else {
        return Treatment::unassessed(Said::new(
            format!("{day} 没有币制 {} 的汇率", line.currency),
            format!("no exchange rate for currency {} on {day}", line.currency),
        ));
    };
    let Some(rate) = rates.lookup(line.gcode, day) else {
        return Treatment::unassessed(Said::new(
            format!(
                "税率表中没有商品编码 {} 在 {day} 的增值税率/退税率",
                line.gcode
            ),
            format!(
                "no VAT/refund rate for HS {} on {day} in the rate table",
                line.gcode
            ),
        ));
    };
    let cancelled = rate.refund_cancelled;
    let cancelled_text = Said::new(
        format!("商品编码 {} 已取消出口退税（{}）", line.gcode, rate.note),
        format!("refund cancelled for HS {} ({})", line.gcode, rate.note),
    );
    let mut reasons = Vec::new();
    let (regime, basis) = match line.trade_mode {
        "9610" => {
            let declaration = line.statistics_flag == "B" && params.summary_gives_declaration;
            let no_declaration = if line.statistics_flag == "A" {
                Said::fixed(
                    "简化申报清单（statisticsFlag=A）：没有出口报关单",
                    "simplified list (flag A): no customs declaration",
                )
            } else {
                NOT_DECLARED
            };
            let mut art1 = Test::new("财税〔2013〕96号 Art. 1 (退(免)税)");
            art1.in_force(day, params.retail_rules_from)
                .refund_basics(p, inputs, declaration, no_declaration.clone())
                .check(
                    inputs.proceeds_received,
                    Said::fixed("按期收汇", "proceeds received in time"),
                    Said::fixed(
                        "申报期截止前未收汇",
                        "FX proceeds not received by the end of the declaration period",
                    ),
                )
                .not_cancelled(cancelled, &cancelled_text);
            let mut art2 = Test::new("财税〔2013〕96号 Art. 2 (免税)");
            art2.in_force(day, params.retail_rules_from)
                .check(
                    p.tax_registered,
                    Said::fixed("已办理税务登记", "tax registration"),
                    Said::fixed("未办理税务登记", "no tax registration"),
                )
                .declared(declaration, no_declaration)
                .check(
                    inputs.purchase_invoice,
                    Said::fixed("取得合法有效的进货凭证", "lawful purchase voucher"),
                    Said::fixed("没有合法有效的进货凭证", "no valid purchase voucher"),
                )
                .not_cancelled(cancelled, &cancelled_text);
            let in_zone_customs =
                p.zone_customs.is_empty() || p.zone_customs.iter().any(|c| c == line.customs_code);
            let mut no_invoice = Test::new("财税〔2018〕103号 (无票免税)");
            no_invoice
                .in_force(day, params.no_invoice_from)
                .check(
                    p.pilot_zone,
                    Said::fixed("注册在综试区", "registered in a 综试区"),
                    Said::fixed("未注册在综试区", "not registered in a 综试区"),
                )
                .check(
                    p.platform_recording,
                    Said::fixed(
                        "出口信息已在综试区线上综合服务平台登记",
                        "exports recorded on the zone's platform",
                    ),
                    Said::fixed(
                        "出口信息未在综试区线上综合服务平台登记",
                        "exports not recorded on the zone's online platform",
                    ),
                )
                .check(
                    in_zone_customs,
                    Said::new(
                        format!("在综试区所在地海关 {} 申报", line.customs_code),
                        format!("declared at zone customs {}", line.customs_code),
                    ),
                    Said::new(
                        format!("在综试区以外的海关 {} 申报", line.customs_code),
                        format!(
                            "declared at customs {}, outside the zone",
                            line.customs_code
                        ),
                    ),
                )
                .not_cancelled(cancelled, &cancelled_text);
            // Each rule tried is explained, up to the one that held.
            let (tried, outcome) = if art1.passed() {
                (1, (Regime::Refund, "财税〔2013〕96号 Art. 1"))
            } else if art2.passed() {
                (2, (Regime::Exempt, "财税〔2013〕96号 Art. 2"))
            } else if no_invoice.passed() {
                (3, (Regime::ExemptNoInvoice, "财税〔2018〕103号"))
            } else {
                (3, (Regime::Taxed, "财税〔2012〕39号 Art. 7"))
            };
            reasons.extend(
                [&art1, &art2, &no_invoice][..tried]
                    .iter()
                    .map(|t| t.explain()),
            );
            if outcome.0 == Regime::Taxed {
                reasons.push(Said::fixed(
                    "视同内销征税",
                    "taxed as a deemed domestic sale",
                ));
            }
            outcome
        }
        "9710" | "9810" => {
            let declaration = line.statistics_flag == "B" && params.b2b_summary_gives_declaration;
            let mut refund = Test::new("财税〔2012〕39号 (退(免)税)");
            refund
                .refund_basics(p, inputs, declaration, NOT_DECLARED)
                .check(
                    rate.refund > Decimal::ZERO,
                    Said::fixed("退税率大于零", "refund rate above zero"),
                    Said::fixed("退税率为零", "refund rate is zero"),
                )
                .not_cancelled(cancelled, &cancelled_text);
            reasons.push(refund.explain());
            if refund.passed() {
                if line.trade_mode == "9810" && day >= params.pre_refund_from {
                    reasons.push(Said::new(
                        format!(
                            "{} 起的 9810：离境即按“HWC-YT”预退税，次年4月30日前清算（国家税务总局公告2025年第3号）",
                            params.pre_refund_from
                        ),
                        format!(
                            "9810 from {}: refunded on departure as HWC-YT, reconciled by 30 April of the next year (国家税务总局公告2025年第3号)",
                            params.pre_refund_from
                        ),
                    ));
                    (Regime::PreRefund, "国家税务总局公告2025年第3号")
                } else {
                    if line.trade_mode == "9810" {
                        reasons.push(Said::new(
                            format!(
                                "{} 前的 9810：自海外仓销售后申报退税",
                                params.pre_refund_from
                            ),
                            format!(
                                "9810 before {}: refund claimed once sold from the overseas warehouse",
                                params.pre_refund_from
                            ),
                        ));
                    }
                    (Regime::Refund, "财税〔2012〕39号")
                }
            } else if !cancelled && p.taxpayer == Taxpayer::SmallScale && p.tax_registered {
                reasons.push(Said::fixed(
                    "小规模纳税人出口免税（财税〔2012〕39号第六条；细节未核实）",
                    "small-scale taxpayer's exports are exempt (财税〔2012〕39号 Art. 6; unverified detail)",
                ));
                (Regime::Exempt, "财税〔2012〕39号 Art. 6")
            } else {
                reasons.push(Said::fixed(
                    "视同内销征税（103号无票免税只适用于零售出口 9610）",
                    "taxed as a deemed domestic sale (the 103号 无票免税 route covers retail 9610 only)",
                ));
                (Regime::Taxed, "财税〔2012〕39号 Art. 7")
            }
        }
        other => {
            return Treatment::unassessed(Said::new(
                format!("不涉及贸易方式 {other}（只涉及 9610、9710、9810）"),
                format!("trade mode {other} is not covered (9610, 9710, 9810 are)"),
            ));
        }
    };
    let provisional = day >= params.provisional_from;
    if provisional {
        reasons.push(Said::new(
            format!(
                "暂定：{} 起按《增值税法》出口，财政部 税务总局公告2026年第11号是否延续上述规定未经核实",
                params.provisional_from
            ),
            format!(
                "provisional: exported on or after {} under the VAT Law; the carry-over of these rules by 财政部 税务总局公告2026年第11号 is unverified",
                params.provisional_from
            ),
        ));
    }
    let mut t = Treatment {
        regime,
        basis,
        reasons,
        computation: Vec::new(),
        fob_cny,
        vat_rate: rate.vat,
        refund_rate: rate.refund,
        consumption_rate: rate.consumption,
        vat_refund: Decimal::ZERO,
        ct_refund: Decimal::ZERO,
        output_vat: Decimal::ZERO,
        consumption_tax: Decimal::ZERO,
        provisional,
        reconciliation: None,
        returns: Vec::new(),
    };
    match regime {
        Regime::Refund | Regime::PreRefund => match p.kind {
            Kind::Trading => {
                t.vat_refund = money(inputs.purchase_amount * rate.refund);
                t.ct_refund = money(inputs.purchase_amount * rate.consumption);
                t.computation.push(format!(
                    "refund = purchase {:.2} × {} = {:.2}",
                    inputs.purchase_amount,
                    super::cit::pct(rate.refund),
                    t.vat_refund
                ));
            }
            Kind::Producing => {
                t.vat_refund = money(fob_cny * rate.refund);
                t.computation.push(format!(
                        "免抵退 amount = FOB {fob_cny:.2} × {} = {:.2} (the split between refund and offset depends on the period's input VAT)",
                        super::cit::pct(rate.refund),
                        t.vat_refund
                    ));
            }
        },
        Regime::Taxed => {
            let r = match p.taxpayer {
                Taxpayer::General => rate.vat,
                Taxpayer::SmallScale => params.small_scale_rate,
            };
            let net = fob_cny / (Decimal::ONE + r);
            t.output_vat = money(net * r);
            t.consumption_tax = money(net * rate.consumption);
            t.computation.push(format!(
                "output VAT = FOB {fob_cny:.2} ÷ (1 + {}) × {} = {:.2}{}",
                super::cit::pct(r),
                super::cit::pct(r),
                t.output_vat,
                if p.taxpayer == Taxpayer::SmallScale {
                    " (small-scale collection rate)"
                } else {
                    ""
                }
            ));
            if t.consumption_tax > Decimal::ZERO {
                t.computation.push(format!(
                    "consumption tax = FOB ÷ (1 + VAT rate) × {} = {:.2}",
                    super::cit::pct(rate.consumption),
                    t.consumption_tax
                ));
            }
        }
        Regime::Exempt | Regime::ExemptNoInvoice | Regime::Unassessed => {}
    }
    let vat_repaid = returned(&mut t, line, params);
    if regime == Regime::PreRefund {
        // Returned goods repay their pre-refund on return; the rest is reconciled.
        let kept = t.vat_refund - vat_repaid;
        t.reconciliation = Some(reconcile(day, kept, inputs, params));
    }
    t
}

/// Books the returns of a treated line (reference §2.7): each undoes its share of the export
/// on its own date. Returns the VAT refund repaid.
///
/// Reading of the rules: 公告2023年第4号 has the refund repaid before re-entry and the tax of a
/// deemed sale handled as a domestic sales return; the export revenue goes back with the goods.
/// The reference says nothing of returns outside the relief window, so the export side is
/// treated the same there; only the import taxes on re-entry (not computed) differ.
fn returned(t: &mut Treatment, line: &LineFacts<'_>, params: &Params) -> Decimal {
    if line.returns.is_empty() || t.regime == Regime::Unassessed {
        return Decimal::ZERO;
    }
    let (mut used, mut vat_repaid, mut all_relieved) = (Decimal::ZERO, Decimal::ZERO, true);
    // HS chapters 01–24 stand for the food the relief excludes (an approximation).
    let food = line
        .gcode
        .get(..2)
        .and_then(|c| c.parse::<u32>().ok())
        .is_some_and(|c| (1..=24).contains(&c));
    for &(on, qty) in &line.returns {
        let share = if line.qty > Decimal::ZERO {
            (qty / line.qty).min(Decimal::ONE - used)
        } else {
            Decimal::ONE - used
        };
        used += share;
        let part = |x: Decimal| money(x * share);
        let in_time = line
            .export_date
            .checked_add_months(Months::new(params.return_relief_months))
            .is_some_and(|limit| on <= limit);
        let relief = !food
            && in_time
            && (params.return_relief_from..=params.return_relief_to).contains(&line.export_date);
        all_relieved &= relief;
        vat_repaid += part(t.vat_refund);
        let r = ReturnAdjustment {
            on,
            qty,
            share,
            fob_cny: part(t.fob_cny),
            refund_repaid: part(t.vat_refund) + part(t.ct_refund),
            tax_reversed: part(t.output_vat) + part(t.consumption_tax),
            relief,
        };
        t.computation.push(format!(
            "returned {} on {on} ({} of the line): revenue −{:.2}, refund repaid {:.2}, deemed-sale tax reversed {:.2}",
            qty.normalize(),
            super::cit::pct(share.round_dp(4)),
            r.fob_cny,
            r.refund_repaid,
            r.tax_reversed
        ));
        t.returns.push(r);
    }
    let undone = match t.regime {
        Regime::Refund | Regime::PreRefund => Said::fixed(
            "退回货物已退的税款予以补缴（出口货物已补税/未退税证明）",
            "the refund on the returned goods is repaid (出口货物已补税/未退税证明)",
        ),
        Regime::Taxed => Said::fixed(
            "视同内销已征的增值税和消费税按内销退货冲减",
            "the deemed-sale VAT and CT on them are reversed as a domestic sales return",
        ),
        _ => Said::fixed(
            "原为免税，无增值税需补缴",
            "they were exempt: no VAT to repay",
        ),
    };
    t.reasons.push(Said::new(
        format!(
            "货物退运（CEB213）：{}，出口收入随货冲回，以退货日期为准（公告2023年第4号；窗口外按同一理解）",
            undone.zh
        ),
        format!(
            "goods returned (CEB213): {}, and the export revenue goes back with them, on the return's date (公告2023年第4号; the same reading outside its window)",
            undone.en
        ),
    ));
    let (from, to, months) = (
        params.return_relief_from,
        params.return_relief_to,
        params.return_relief_months,
    );
    t.reasons.push(if all_relieved {
        Said::new(
            format!("{from}..{to} 出口、{months} 个月内退运：复运进境免征进口关税和进口环节增值税、消费税（此处不计算）"),
            format!(
                "returned within {months} months of an export in {from}..{to}: import duty, VAT and CT on re-entry exempt (not computed here)"
            ),
        )
    } else {
        Said::new(
            format!("不符合退货免税条件（{from}..{to} 出口、{months} 个月内退运、非食品）：复运进境的进口税收按一般规定（此处不计算）"),
            format!(
                "outside the return relief (exports {from}..{to}, back within {months} months, not food): import taxes on re-entry follow the general rules (not computed here)"
            ),
        )
    });
    vat_repaid
}

/// The reconciliation of a pre-refund: the window, what was found, the adjustment.
fn reconcile(
    exported: NaiveDate,
    pre_refund: Decimal,
    inputs: &LineInputs,
    params: &Params,
) -> Reconciliation {
    let done = exported
        .checked_add_days(Days::new(u64::from(params.pre_refund_lag_days)))
        .unwrap_or(exported);
    let opens = done
        .with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .unwrap_or(done);
    let deadline = date(done.year() + 1, 4, 30);
    let (sale, on) = inputs.overseas.unwrap_or((OverseasSale::Unsold, None));
    match on.filter(|d| *d <= deadline) {
        None => Reconciliation {
            opens,
            deadline,
            outcome: Outcome::Recovered,
            booked_on: deadline,
            adjustment: -pre_refund,
            final_refund: Decimal::ZERO,
        },
        Some(on) => {
            let booked_on = on.max(opens);
            let (outcome, final_refund) = match sale {
                OverseasSale::Sold => (Outcome::Confirmed, pre_refund),
                OverseasSale::SoldAt(f) if f == Decimal::ONE => (Outcome::Confirmed, pre_refund),
                OverseasSale::SoldAt(f) => (Outcome::Adjusted, money(pre_refund * f)),
                OverseasSale::Unsold => (Outcome::Repaid, Decimal::ZERO),
            };
            Reconciliation {
                opens,
                deadline,
                outcome,
                booked_on,
                adjustment: final_refund - pre_refund,
                final_refund,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn zone_seller() -> Period {
        Period {
            pilot_zone: true,
            platform_recording: true,
            zone_customs: vec!["5314".into()],
            refund_filed: true,
            ..Period::new(d(2019, 1, 1), Taxpayer::General, Kind::Trading)
        }
    }

    fn line(mode: &'static str, day: NaiveDate, fob: i64) -> LineFacts<'static> {
        LineFacts {
            trade_mode: mode,
            export_date: day,
            customs_code: "5314",
            statistics_flag: "B",
            gcode: "6109100021",
            fob: Decimal::from(fob),
            currency: "142",
            qty: Decimal::ONE,
            returns: Vec::new(),
        }
    }

    fn inputs(invoice: bool) -> LineInputs {
        LineInputs {
            purchase_invoice: invoice,
            purchase_amount: Decimal::from(6000),
            proceeds_received: true,
            overseas: None,
        }
    }

    fn treat_with(l: &LineFacts<'_>, p: &Period, i: &LineInputs) -> Treatment {
        treat(
            l,
            Some(p),
            i,
            &Rates::sample(),
            &FxRates::sample(),
            &Params::default(),
        )
    }

    #[test]
    fn retail_with_invoice_is_refunded_on_the_purchase_amount() {
        let t = treat_with(
            &line("9610", d(2023, 5, 1), 11_300),
            &zone_seller(),
            &inputs(true),
        );
        assert_eq!(t.regime, Regime::Refund);
        assert_eq!(t.vat_refund, Decimal::from(780)); // 6,000 × 13 %
        assert!(!t.provisional);
    }

    #[test]
    fn retail_falls_through_art1_art2_to_no_invoice_exemption() {
        let t = treat_with(
            &line("9610", d(2023, 5, 1), 11_300),
            &zone_seller(),
            &inputs(false),
        );
        assert_eq!(t.regime, Regime::ExemptNoInvoice);
        assert_eq!(t.reasons.len(), 3);
        assert!(
            t.reasons[0].en.contains("without a purchase VAT invoice"),
            "{:?}",
            t.reasons
        );
        assert_eq!(t.vat_refund + t.output_vat, Decimal::ZERO);
    }

    #[test]
    fn exempt_under_art2_when_refund_not_filed() {
        let p = Period {
            refund_filed: false,
            ..zone_seller()
        };
        let t = treat_with(&line("9610", d(2023, 5, 1), 100), &p, &inputs(true));
        assert_eq!(t.regime, Regime::Exempt);
        assert!(t.reasons[0].en.contains("refund qualification not filed"));
    }

    #[test]
    fn outside_the_zone_without_invoice_is_a_deemed_sale() {
        let p = Period {
            pilot_zone: false,
            ..zone_seller()
        };
        // Worked example §2.4: FOB 11,300 at 13 % → output VAT 1,300.
        let t = treat_with(&line("9610", d(2023, 5, 1), 11_300), &p, &inputs(false));
        assert_eq!(t.regime, Regime::Taxed);
        assert_eq!(t.output_vat, Decimal::from(1300));
        let small = Period {
            taxpayer: Taxpayer::SmallScale,
            ..p
        };
        let t = treat_with(&line("9610", d(2023, 5, 1), 10_300), &small, &inputs(false));
        assert_eq!(t.output_vat, Decimal::from(300));
    }

    #[test]
    fn declared_at_other_customs_loses_no_invoice_exemption() {
        let mut l = line("9610", d(2023, 5, 1), 100);
        l.customs_code = "2244";
        let t = treat_with(&l, &zone_seller(), &inputs(false));
        assert_eq!(t.regime, Regime::Taxed);
        assert!(
            t.reasons[2].en.contains("outside the zone"),
            "{:?}",
            t.reasons
        );
    }

    #[test]
    fn no_invoice_exemption_starts_2018_10_01() {
        let t = treat_with(
            &line("9610", d(2018, 9, 30), 100),
            &zone_seller(),
            &inputs(false),
        );
        assert_eq!(t.regime, Regime::Taxed);
        let t = treat_with(
            &line("9610", d(2018, 10, 1), 100),
            &zone_seller(),
            &inputs(false),
        );
        assert_eq!(t.regime, Regime::ExemptNoInvoice);
    }

    #[test]
    fn cancelled_refund_is_taxed_even_in_the_zone() {
        let mut l = line("9610", d(2027, 2, 1), 11_300);
        l.gcode = "8507600090";
        let t = treat_with(&l, &zone_seller(), &inputs(true));
        assert_eq!(t.regime, Regime::Taxed);
        assert!(t.provisional);
        assert_eq!(t.output_vat, Decimal::from(1300));
    }

    #[test]
    fn simplified_lists_have_no_declaration() {
        let mut l = line("9610", d(2023, 5, 1), 100);
        l.statistics_flag = "A";
        let t = treat_with(&l, &zone_seller(), &inputs(true));
        assert_eq!(t.regime, Regime::ExemptNoInvoice);
        assert!(t.reasons[0].en.contains("flag A"));
    }

    #[test]
    fn b2b_follows_general_rules() {
        let t = treat_with(
            &line("9710", d(2023, 5, 1), 100),
            &zone_seller(),
            &inputs(false),
        );
        assert_eq!(t.regime, Regime::Taxed, "103号 is for retail only");
        let small = Period {
            taxpayer: Taxpayer::SmallScale,
            ..zone_seller()
        };
        let t = treat_with(&line("9710", d(2023, 5, 1), 100), &small, &inputs(false));
        assert_eq!(t.regime, Regime::Exempt);
        let producer = Period {
            kind: Kind::Producing,
            ..zone_seller()
        };
        let t = treat_with(
            &line("9710", d(2023, 5, 1), 1000),
            &producer,
            &inputs(false),
        );
        assert_eq!(
            (t.regime, t.vat_refund),
            (Regime::Refund, Decimal::from(130))
        );
    }

    #[test]
    fn overseas_warehouse_pre_refund_from_2025_01_27() {
        let before = treat_with(
            &line("9810", d(2025, 1, 26), 100),
            &zone_seller(),
            &inputs(true),
        );
        assert_eq!(before.regime, Regime::Refund);
        let mut i = inputs(true);
        i.overseas = Some((
            OverseasSale::SoldAt(Decimal::new(95, 2)),
            Some(d(2026, 3, 31)),
        ));
        let t = treat_with(&line("9810", d(2025, 3, 14), 100), &zone_seller(), &i);
        assert_eq!(t.regime, Regime::PreRefund);
        let r = t.reconciliation.unwrap();
        assert_eq!(r.deadline, d(2026, 4, 30));
        assert_eq!(r.opens, d(2025, 5, 1));
        assert_eq!(r.outcome, Outcome::Adjusted);
        // Explainer example in spirit: 780 pre-refunded, 741 kept, 39 back.
        assert_eq!(
            (r.final_refund, r.adjustment),
            (Decimal::from(741), Decimal::from(-39))
        );
    }

    #[test]
    fn reconciliation_outcomes() {
        let run = |sale, on| {
            let mut i = inputs(true);
            i.overseas = Some((sale, on));
            treat_with(&line("9810", d(2025, 12, 1), 100), &zone_seller(), &i)
                .reconciliation
                .unwrap()
        };
        // Pre-refund done 2025-12-31 → deadline 30 April 2026.
        let r = run(OverseasSale::Sold, Some(d(2026, 4, 30)));
        assert_eq!(
            (r.outcome, r.adjustment),
            (Outcome::Confirmed, Decimal::ZERO)
        );
        let r = run(OverseasSale::Unsold, Some(d(2026, 2, 1)));
        assert_eq!(
            (r.outcome, r.adjustment),
            (Outcome::Repaid, Decimal::from(-780))
        );
        let r = run(OverseasSale::Sold, Some(d(2026, 5, 1)));
        assert_eq!(
            (r.outcome, r.booked_on),
            (Outcome::Recovered, d(2026, 4, 30))
        );
        let r = run(OverseasSale::Sold, None);
        assert_eq!(r.outcome, Outcome::Recovered);
        // Pre-refund done in January 2026 (lag 30 days from 2025-12-15): deadline 30 April 2027.
        let mut i = inputs(true);
        i.overseas = Some((OverseasSale::Sold, Some(d(2027, 4, 1))));
        let t = treat_with(&line("9810", d(2025, 12, 15), 100), &zone_seller(), &i);
        assert_eq!(t.reconciliation.unwrap().outcome, Outcome::Confirmed);
    }

    #[test]
    fn missing_facts_leave_a_line_unassessed() {
        let l = line("9610", d(2023, 5, 1), 100);
        let t = treat(
            &l,
            None,
            &inputs(true),
            &Rates::sample(),
            &FxRates::sample(),
            &Params::default(),
        );
        assert_eq!(t.regime, Regime::Unassessed);
        let mut l = line("9610", d(2023, 5, 1), 100);
        l.currency = "999";
        assert!(
            treat_with(&l, &zone_seller(), &inputs(true)).reasons[0]
                .en
                .contains("999")
        );
        let l = line("1210", d(2023, 5, 1), 100);
        assert_eq!(
            treat_with(&l, &zone_seller(), &inputs(true)).regime,
            Regime::Unassessed
        );
    }
}
