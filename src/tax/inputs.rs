//! What an analyst assumes about facts customs data does not carry (purchase invoices,
//! purchase amounts, proceeds, overseas sales), turned into the inputs of each line. Shares
//! are drawn per line from a seed and the line's GUID and number, so the same scenario gives
//! the same lines their invoices in every replay, whatever the order of the rows.

use super::vat::{LineInputs, OverseasSale};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// 9810: what the reconciliation finds for pre-refunded goods.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Overseas {
    /// Share of lines sold at the declared amount.
    #[serde(default = "one")]
    pub sold_share: Decimal,
    /// Share of lines sold at a different amount (`repriced_factor` × declared).
    #[serde(default)]
    pub repriced_share: Decimal,
    #[serde(default = "one")]
    pub repriced_factor: Decimal,
    /// When the enterprise reconciles; none: it never does (the pre-refund is recovered).
    pub reconciled_on: Option<NaiveDate>,
}

impl Default for Overseas {
    fn default() -> Self {
        Overseas {
            sold_share: Decimal::ONE,
            repriced_share: Decimal::ZERO,
            repriced_factor: Decimal::ONE,
            reconciled_on: None,
        }
    }
}

/// The tax assumptions of one enterprise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assumptions {
    /// Share of lines backed by a purchase VAT invoice (0..=1).
    #[serde(default)]
    pub invoice_share: Decimal,
    /// HS code prefixes whose goods always have invoices (on top of the share).
    #[serde(default)]
    pub invoiced_goods: Vec<String>,
    /// Purchase amount (excluding VAT) as a share of the FOB value.
    #[serde(default = "default_purchase_ratio")]
    pub purchase_ratio: Decimal,
    /// Share of declarations whose FX proceeds arrive by the end of the declaration period.
    #[serde(default = "one")]
    pub proceeds_share: Decimal,
    /// Share of the export value received as goods-trade foreign exchange (the rest e.g.
    /// settled in yuan).
    #[serde(default = "one")]
    pub fx_receipt_share: Decimal,
    #[serde(default)]
    pub overseas: Overseas,
}

fn one() -> Decimal {
    Decimal::ONE
}

fn default_purchase_ratio() -> Decimal {
    Decimal::new(6, 1)
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            invoice_share: Decimal::ZERO,
            invoiced_goods: Vec::new(),
            purchase_ratio: default_purchase_ratio(),
            proceeds_share: Decimal::ONE,
            fx_receipt_share: Decimal::ONE,
            overseas: Overseas::default(),
        }
    }
}

impl Assumptions {
    /// Refuses shares outside 0..=1 and a negative ratio or factor.
    pub fn validate(&self, who: &str) -> Result<(), super::TaxError> {
        let o = &self.overseas;
        let shares = [
            ("invoice_share", self.invoice_share),
            ("proceeds_share", self.proceeds_share),
            ("fx_receipt_share", self.fx_receipt_share),
            ("overseas.sold_share", o.sold_share),
            ("overseas.repriced_share", o.repriced_share),
            (
                "overseas.sold_share + repriced_share",
                o.sold_share + o.repriced_share,
            ),
        ];
        for (name, v) in shares {
            if v < Decimal::ZERO || v > Decimal::ONE {
                return Err(super::TaxError::Profile(format!(
                    "{who}: {name} is {v}; a share must be between 0 and 1"
                )));
            }
        }
        for (name, v) in [
            ("purchase_ratio", self.purchase_ratio),
            ("overseas.repriced_factor", o.repriced_factor),
        ] {
            if v < Decimal::ZERO {
                return Err(super::TaxError::Profile(format!(
                    "{who}: {name} is {v}; it cannot be negative"
                )));
            }
        }
        Ok(())
    }

    /// The inputs of one line (`gnum` of the declaration `guid`), its FOB value in yuan.
    pub fn line_inputs(
        &self,
        seed: u64,
        guid: &str,
        gnum: u32,
        gcode: &str,
        fob_cny: Decimal,
    ) -> LineInputs {
        let draw = |what: &str| per_ten_thousand(seed, guid, gnum, what);
        let below =
            |share: Decimal, what: &str| Decimal::from(draw(what)) < share * Decimal::from(10_000);
        let purchase_invoice = self
            .invoiced_goods
            .iter()
            .any(|p| gcode.starts_with(p.as_str()))
            || below(self.invoice_share, "invoice");
        // Proceeds are a matter of the whole declaration: drawn without the line number.
        let proceeds_received = Decimal::from(per_ten_thousand(seed, guid, 0, "proceeds"))
            < self.proceeds_share * Decimal::from(10_000);
        let o = &self.overseas;
        let sale = {
            let x = Decimal::from(draw("overseas"));
            let scale = Decimal::from(10_000);
            if x < o.sold_share * scale {
                OverseasSale::Sold
            } else if x < (o.sold_share + o.repriced_share) * scale {
                OverseasSale::SoldAt(o.repriced_factor)
            } else {
                OverseasSale::Unsold
            }
        };
        LineInputs {
            purchase_invoice,
            purchase_amount: super::money(fob_cny * self.purchase_ratio),
            proceeds_received,
            overseas: Some((sale, o.reconciled_on)),
        }
    }
}

/// A number in 0..10,000 fixed by the seed, the line and what is drawn.
fn per_ten_thousand(seed: u64, guid: &str, gnum: u32, what: &str) -> u64 {
    let mut h = seed ^ 0xcbf2_9ce4_8422_2325;
    let bytes = guid
        .bytes()
        .chain(gnum.to_le_bytes())
        .chain([0])
        .chain(what.bytes());
    for b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h % 10_000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_are_met_on_many_lines_and_stable() {
        let a = Assumptions {
            invoice_share: Decimal::new(3, 1),
            ..Assumptions::default()
        };
        let n = 20_000;
        let invoiced = (0..n)
            .filter(|i| {
                a.line_inputs(7, &format!("G{i}"), 1, "6109", Decimal::ONE)
                    .purchase_invoice
            })
            .count();
        assert!((5_700..6_300).contains(&invoiced), "{invoiced}");
        let once = a.line_inputs(7, "G1", 2, "6109", Decimal::TEN);
        assert_eq!(once, a.line_inputs(7, "G1", 2, "6109", Decimal::TEN));
        assert_eq!(once.purchase_amount, Decimal::from(6));
    }

    #[test]
    fn invoiced_goods_always_have_invoices_and_extremes_hold() {
        let a = Assumptions {
            invoiced_goods: vec!["6109".into()],
            ..Assumptions::default()
        };
        assert!(
            a.line_inputs(1, "G", 1, "6109100021", Decimal::ONE)
                .purchase_invoice
        );
        assert!(
            !a.line_inputs(1, "G", 1, "6204620021", Decimal::ONE)
                .purchase_invoice
        );
        let all = Assumptions {
            invoice_share: Decimal::ONE,
            ..Assumptions::default()
        };
        assert!((0..100).all(|i| {
            all.line_inputs(1, "G", i, "x", Decimal::ONE)
                .purchase_invoice
        }));
    }

    #[test]
    fn bad_shares_are_refused() {
        let a = Assumptions {
            invoice_share: Decimal::new(15, 1),
            ..Assumptions::default()
        };
        assert!(
            a.validate("E1")
                .unwrap_err()
                .to_string()
                .contains("invoice_share is 1.5")
        );
        assert!(Assumptions::default().validate("E1").is_ok());
    }
}
