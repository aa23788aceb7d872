//! Named figures: printed as `BENCH <name> <value> <unit>` lines, and read
//! back from the C harness's output.

use std::collections::BTreeMap;

#[derive(Default)]
pub struct Figures {
    values: BTreeMap<String, (f64, String)>,
}

impl Figures {
    /// Records a figure and prints its line.
    pub fn add(&mut self, name: &str, value: f64, unit: &str) {
        println!("BENCH {name} {value:.6} {unit}");
        self.values
            .insert(name.to_string(), (value, unit.to_string()));
    }

    /// The `BENCH` lines of `text` (other lines are ignored).
    pub fn parse(text: &str) -> Figures {
        let mut out = Figures::default();
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            if parts.next() != Some("BENCH") {
                continue;
            }
            let (Some(name), Some(value), Some(unit)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if let Ok(v) = value.parse::<f64>() {
                out.values.insert(name.to_string(), (v, unit.to_string()));
            }
        }
        out
    }

    pub fn get(&self, name: &str) -> Option<(f64, &str)> {
        self.values.get(name).map(|(v, u)| (*v, u.as_str()))
    }
}
