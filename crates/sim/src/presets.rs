//! Built-in scenarios. Ids are fixed: URLs, docs and golden tests refer to them.

use crate::scenario::Scenario;

/// `(id, JSON)` of every preset, in the order the UI lists them.
pub const PRESETS: &[(&str, &str)] = &[
    ("happy-path", include_str!("../presets/happy-path.json")),
    ("lost-ack", include_str!("../presets/lost-ack.json")),
    (
        "lost-ack-no-idempotence",
        include_str!("../presets/lost-ack-no-idempotence.json"),
    ),
    (
        "client-3-0-default",
        include_str!("../presets/client-3-0-default.json"),
    ),
    (
        "pipelined-retry",
        include_str!("../presets/pipelined-retry.json"),
    ),
    (
        "reorder-no-idempotence",
        include_str!("../presets/reorder-no-idempotence.json"),
    ),
    (
        "failover-replicated",
        include_str!("../presets/failover-replicated.json"),
    ),
    (
        "failover-unreplicated",
        include_str!("../presets/failover-unreplicated.json"),
    ),
    (
        "producer-restart",
        include_str!("../presets/producer-restart.json"),
    ),
    ("state-expiry", include_str!("../presets/state-expiry.json")),
    (
        "records-deleted",
        include_str!("../presets/records-deleted.json"),
    ),
    ("epoch-bump", include_str!("../presets/epoch-bump.json")),
    (
        "rejected-batch-duplicate",
        include_str!("../presets/rejected-batch-duplicate.json"),
    ),
    ("acks-1-loss", include_str!("../presets/acks-1-loss.json")),
    (
        "textbook-rule-loss",
        include_str!("../presets/textbook-rule-loss.json"),
    ),
    (
        "zombie-fencing",
        include_str!("../presets/zombie-fencing.json"),
    ),
    (
        "abort-hides-records",
        include_str!("../presets/abort-hides-records.json"),
    ),
    (
        "late-transactional-batch",
        include_str!("../presets/late-transactional-batch.json"),
    ),
    (
        "restart-with-transactional-id",
        include_str!("../presets/restart-with-transactional-id.json"),
    ),
    (
        "multi-partition-commit",
        include_str!("../presets/multi-partition-commit.json"),
    ),
];

/// The ids of all presets.
pub fn ids() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|(id, _)| *id)
}

/// A preset by id, parsed. `None` for an unknown id.
pub fn get(id: &str) -> Option<Scenario> {
    let (_, json) = PRESETS.iter().find(|(name, _)| *name == id)?;
    // Presets are checked by tests; a broken one is a build defect, reported as absent here.
    Scenario::from_json(json).ok()
}

/// The preset telling `id`'s story with `enable.idempotence` flipped, if there is one: the
/// other preset whose scenario is the same but for that setting (`lost-ack` and
/// `lost-ack-no-idempotence`, `pipelined-retry` and `reorder-no-idempotence`). Found by
/// comparing the scenarios, so a new pair needs no table and no naming rule.
pub fn twin(id: &str) -> Option<&'static str> {
    let story_free = |mut s: Scenario| {
        s.name.clear();
        s.caption.clear();
        s.beats.clear();
        let idempotent: Vec<Option<bool>> = s
            .producers
            .iter_mut()
            .map(|p| p.config.enable_idempotence.take())
            .collect();
        (s, idempotent)
    };
    let (me, mine) = story_free(get(id)?);
    ids().filter(|&other| other != id).find(|&other| {
        get(other).map(story_free).is_some_and(|(them, theirs)| {
            them == me
                && theirs
                    .iter()
                    .zip(&mine)
                    .any(|(a, b)| a.unwrap_or(true) != b.unwrap_or(true))
        })
    })
}

/// `(id, caption)` of every preset.
/// A preset as the JS API lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Preset {
    #[cfg_attr(feature = "ts", ts(type = "PresetId"))]
    pub id: String,
    pub caption: String,
}

/// Every preset with its caption, in menu order.
pub fn list() -> Vec<Preset> {
    captions()
        .into_iter()
        .map(|(id, caption)| Preset { id, caption })
        .collect()
}

pub fn captions() -> Vec<(String, String)> {
    PRESETS
        .iter()
        .filter_map(|(id, _)| get(id).map(|s| (id.to_string(), s.caption)))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn twins_are_the_same_scenario_with_idempotence_flipped() {
        use super::twin;
        assert_eq!(twin("lost-ack"), Some("lost-ack-no-idempotence"));
        assert_eq!(twin("lost-ack-no-idempotence"), Some("lost-ack"));
        assert_eq!(twin("pipelined-retry"), Some("reorder-no-idempotence"));
        assert_eq!(twin("reorder-no-idempotence"), Some("pipelined-retry"));
        assert_eq!(twin("happy-path"), None);
        assert_eq!(twin("zombie-fencing"), None);
        assert_eq!(twin("nope"), None);
    }

    #[test]
    fn every_preset_parses_and_is_named_by_its_id() {
        for (id, json) in super::PRESETS {
            let s = crate::Scenario::from_json(json).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(&s.name, id);
            assert!(s.caption.len() > 40, "{id} needs an introduction");
            // The story: several beats, and the last one states the outcome when the run ends.
            assert!(s.beats.len() >= 4, "{id} tells its story in beats");
            let last = &s.beats.last().unwrap().when;
            assert_eq!(
                last["type"], "run_finished",
                "{id}: the last beat is the outcome"
            );
        }
    }
}
