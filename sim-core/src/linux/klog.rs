//! Kernel log lines the modelled drivers print, as records (produced by the simulation where
//! `log_lines` is counted) and as text (`run --log`). The wording and its source come from the
//! attach rule that refused (`linux/rules.rs`, per kernel version); [`text`] only fills in the
//! names, so the CLI never knows driver strings.

use crate::ids::{GroupId, IommuId};
use crate::iommu::kind::IommuKind;
use crate::linux::Errno;
use crate::linux::rules::Rule;
use crate::time::Cycle;

/// One line a driver printed: an attach of `group` behind `iommu` refused with `errno`, for a
/// domain allocated for `domain_owner`, by `rule` (`None`: a failure outside the attach rules,
/// e.g. an ID space running out). `Copy`, no allocation: the simulation hands it to its
/// observer and forgets it.
#[derive(Clone, Copy, Debug)]
pub struct LogRecord {
    pub cycle: Cycle,
    pub group: GroupId,
    pub iommu: IommuId,
    pub domain_owner: IommuId,
    pub errno: Errno,
    pub rule: Option<&'static Rule>,
}

/// The line as the driver prints it (`dev_err(dev, ...)` → `"<device>: <text>"`, its `%s`
/// filled with the domain's SMMU/unit then the device's) and where in Linux it comes from.
pub fn text(kind: IommuKind, r: &LogRecord, device: &str, iommu: &str, owner: &str) -> (String, &'static str) {
    match r.rule.and_then(|rule| rule.log.map(|log| (log, rule.source))) {
        Some((format, source)) => {
            let mut line = String::new();
            let mut names = [owner, iommu].into_iter();
            let mut rest = format;
            while let Some(i) = rest.find("%s") {
                line.push_str(&rest[..i]);
                line.push_str(names.next().unwrap_or("%s"));
                rest = &rest[i + 2..];
            }
            line.push_str(rest);
            (format!("{device}: {line}"), source)
        }
        None => (
            format!("{device}: {} attach to {iommu} failed: -{:?} (domain of {owner})", kind.driver(), r.errno),
            "assumed: one line per attach failure outside the attach rules (wording not modelled)",
        ),
    }
}
