//! The Sigma importer: any YAML gives, per document, a rule or a reason —
//! and every rule it gives compiles in the engine or is refused cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vigil::rules::sigma::{Outcome, import};

fuzz_target!(|yaml: &str| {
    // Bounded like the route's body; YAML aliases are the importer's to bound.
    if yaml.len() > 64 * 1024 {
        return;
    }
    let now = chrono::Utc::now();
    for outcome in import(yaml) {
        if let Outcome::Rule(definition) = outcome {
            let text = serde_json::to_string(&definition).expect("a rule serialises");
            let back: app::rules::RuleDefinition =
                serde_json::from_str(&text).expect("a rule reads back");
            assert_eq!(serde_json::to_string(&back).unwrap(), text);
            let _ = vigil::detect::eval::Evaluator::new(&definition, &Default::default(), now);
        }
    }
});
