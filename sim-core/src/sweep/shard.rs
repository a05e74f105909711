//! Slices of a sweep: `--shard I/N` (1-based, like nextest's partitions) takes every item
//! whose number is I−1 modulo N, so neighbouring (similarly costly) items spread over shards.

/// Shard `index` of `count` (1-based).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Parses `I/N`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard {text}: expected I/N with 1 ≤ I ≤ N (e.g. 2/8)");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse::<u64>().map_err(|_| bad())?, n.trim().parse::<u64>().map_err(|_| bad())?);
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The shard of this Slurm array task, from `SLURM_ARRAY_TASK_ID`, `SLURM_ARRAY_TASK_COUNT`
    /// and `SLURM_ARRAY_TASK_MIN` (task ids need not start at 1); `None` outside an array.
    pub fn from_slurm(get: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>, String> {
        let Some(id) = get("SLURM_ARRAY_TASK_ID") else { return Ok(None) };
        let num = |name: &str| -> Result<u64, String> {
            let v = get(name).ok_or_else(|| format!("SLURM_ARRAY_TASK_ID is set but {name} is not"))?;
            v.trim().parse().map_err(|_| format!("{name}={v} is not a number"))
        };
        let id: u64 = id.trim().parse().map_err(|_| format!("SLURM_ARRAY_TASK_ID={id} is not a number"))?;
        let (count, min) = (num("SLURM_ARRAY_TASK_COUNT")?, num("SLURM_ARRAY_TASK_MIN")?);
        let index = id.checked_sub(min).map(|d| d + 1).filter(|&i| i >= 1 && i <= count).ok_or_else(|| {
            format!("Slurm array task {id} (min {min}, count {count}) is not one of count consecutive tasks: use --shard I/N")
        })?;
        Ok(Some(Shard { index, count }))
    }

    /// Whether item number `item` belongs to this shard.
    pub fn contains(&self, item: u64) -> bool {
        item % self.count == self.index - 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_items() {
        let shards: Vec<Shard> = (1..=3).map(|i| Shard::parse(&format!("{i}/3")).unwrap()).collect();
        for item in 0..100 {
            assert_eq!(shards.iter().filter(|s| s.contains(item)).count(), 1);
        }
        for bad in ["0/3", "4/3", "1", "a/b", "1/0"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slurm_array_variables_choose_the_shard() {
        let env = |id: &'static str, count: &'static str, min: &'static str| {
            move |k: &str| match k {
                "SLURM_ARRAY_TASK_ID" => Some(id.to_string()),
                "SLURM_ARRAY_TASK_COUNT" => Some(count.to_string()),
                "SLURM_ARRAY_TASK_MIN" => Some(min.to_string()),
                _ => None,
            }
        };
        assert_eq!(Shard::from_slurm(env("3", "4", "1")).unwrap(), Some(Shard { index: 3, count: 4 }));
        assert_eq!(Shard::from_slurm(env("10", "4", "10")).unwrap(), Some(Shard { index: 1, count: 4 }));
        assert!(Shard::from_slurm(env("9", "4", "10")).is_err());
        assert!(Shard::from_slurm(env("15", "4", "10")).is_err());
        assert_eq!(Shard::from_slurm(|_| None).unwrap(), None);
    }
}
