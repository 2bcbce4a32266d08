//! The exports of a ledger, treated: what a server or a replay calls. Pure: ledger rows and
//! the enterprises' profiles and assumptions in, treatments (one per line, handed to a
//! visitor) and annual figures out.

use super::annual::{Accumulator, CitMethod, Year, YearInputs};
use super::inputs::Assumptions;
use super::vat::{self, LineFacts, LineInputs, Treatment};
use super::{Profile, cit, fx, rates::Rates};
use crate::engine::ledger::{Ledger, Line, Row};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// One enterprise as the tax rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Enterprise {
    pub profile: Profile,
    pub assumptions: Assumptions,
    pub cit_method: CitMethod,
    pub years: Vec<YearInputs>,
}

/// Everything the treatment of a ledger needs besides the ledger.
#[derive(Debug, Clone)]
pub struct TaxBook {
    pub enterprises: Vec<Enterprise>,
    pub rates: Rates,
    pub fx_rates: fx::FxRates,
    pub vat: vat::Params,
    pub cit: cit::Params,
    pub fx: fx::Params,
    /// Seed of the per-line draws of the assumptions.
    pub seed: u64,
}

/// The treatment of one line, with the inputs it was judged on.
#[derive(Debug)]
pub struct Treated<'r, 'a> {
    pub row: &'r Row<'a>,
    pub line: &'r Line<'a>,
    pub inputs: &'r LineInputs,
    pub treatment: &'r Treatment,
}

impl TaxBook {
    fn enterprise(&self, code: &str) -> Option<&Enterprise> {
        self.enterprises.iter().find(|e| e.profile.code == code)
    }

    /// Treats one line of a ledger declaration.
    pub fn treat(&self, row: &Row<'_>, line: &Line<'_>) -> (LineInputs, Treatment) {
        let facts = LineFacts::of(row, line);
        let enterprise = self.enterprise(row.ebc_code());
        let day = facts.export_date;
        let fob_cny = self
            .fx_rates
            .to_cny(facts.fob, facts.currency, day)
            .unwrap_or_default();
        let default = Assumptions::default();
        let assumptions = enterprise.map_or(&default, |e| &e.assumptions);
        let inputs =
            assumptions.line_inputs(self.seed, row.guid(), line.gnum(), line.gcode(), fob_cny);
        let profile = enterprise.and_then(|e| e.profile.on(day));
        let t = vat::treat(
            &facts,
            profile,
            &inputs,
            &self.rates,
            &self.fx_rates,
            &self.vat,
        );
        (inputs, t)
    }

    /// Treats every exported line of the ledger with an export date in `from..=to`, hands each
    /// to `visit`, and returns the annual figures (CIT and FX assessed).
    pub fn assess(
        &self,
        ledger: &Ledger,
        from: NaiveDate,
        to: NaiveDate,
        visit: impl FnMut(Treated<'_, '_>),
    ) -> Vec<Year> {
        let query = crate::engine::ledger::Query::exported_between(from, to);
        let mut acc = Accumulator::new();
        self.accumulate(ledger.select(&query), &mut acc, visit);
        self.finish(acc)
    }

    /// The figures of one enterprise (`ebcCode`) for one tax year: its exports of the year,
    /// and what is booked in the year for its exports of the two years before (9810
    /// reconciliations, returns). Zero figures when nothing happened.
    pub fn year_of(&self, ledger: &Ledger, code: &str, year: i32) -> Year {
        let (from, to) = Self::year_window(year);
        let query = crate::engine::ledger::Query::exported_between(from, to);
        let rows = ledger.select(&query).filter(|r| r.ebc_code() == code);
        let mut acc = Accumulator::new();
        self.accumulate(rows, &mut acc, |_| {});
        acc.open(code, year);
        self.finish(acc)
            .into_iter()
            .find(|y| y.enterprise == code && y.year == year)
            .unwrap_or_default()
    }

    /// The export dates whose adjustments may be booked in `year`: a 9810 pre-refund of
    /// December is reconciled by April of the second year after, a return comes within a
    /// year of release.
    pub fn year_window(year: i32) -> (NaiveDate, NaiveDate) {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
        (day(year - 2, 1, 1), day(year, 12, 31))
    }

    fn accumulate<'a>(
        &self,
        rows: impl Iterator<Item = Row<'a>>,
        acc: &mut Accumulator,
        mut visit: impl FnMut(Treated<'_, '_>),
    ) {
        for row in rows {
            let day = row.export_date();
            let code = row.ebc_code();
            acc.declaration(code, day);
            let share = self
                .enterprise(code)
                .map_or(Decimal::ONE, |e| e.assumptions.fx_receipt_share);
            for line in row.lines() {
                let (inputs, t) = self.treat(&row, &line);
                let usd = self
                    .fx_rates
                    .cny_to_usd(t.fob_cny * share, day)
                    .unwrap_or_default();
                acc.line(code, day, &t, usd);
                visit(Treated {
                    row: &row,
                    line: &line,
                    inputs: &inputs,
                    treatment: &t,
                });
            }
        }
    }

    fn finish(&self, acc: Accumulator) -> Vec<Year> {
        let profiles: Vec<Profile> = self.enterprises.iter().map(|e| e.profile.clone()).collect();
        let inputs: BTreeMap<String, (CitMethod, Vec<YearInputs>)> = self
            .enterprises
            .iter()
            .map(|e| (e.profile.code.clone(), (e.cit_method, e.years.clone())))
            .collect();
        acc.finish(&profiles, &inputs, &self.cit, &self.fx)
    }
}
