// TEMPORARY placeholder until the real module lands (not to be committed).
#[derive(Debug, Clone, Default)]
pub struct Rules {
    inc: Vec<String>,
    exc: Vec<String>,
}
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct FilterError(String);
impl Rules {
    pub fn new(i: &[String], e: &[String]) -> Result<Rules, FilterError> {
        for s in i.iter().chain(e) {
            if s.matches('"').count() % 2 == 1 {
                return Err(FilterError(format!("unbalanced quote in {s:?}")));
            }
        }
        Ok(Rules {
            inc: i.iter().map(|s| s.to_lowercase().replace('"', "")).collect(),
            exc: e.iter().map(|s| s.to_lowercase()).collect(),
        })
    }
    pub fn allows(&self, t: &str, x: &str, a: &str) -> bool {
        let all = format!("{t} {x} {a}").to_lowercase();
        (self.inc.is_empty() || self.inc.iter().any(|i| all.contains(i.as_str())))
            && !self.exc.iter().any(|e| all.contains(e.as_str()))
    }
    pub fn is_empty(&self) -> bool {
        self.inc.is_empty() && self.exc.is_empty()
    }
}
