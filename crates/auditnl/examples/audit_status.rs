//! Prints the kernel audit status and rule list (root): a quick way to see
//! that Own mode left nothing behind.
//!
//! `cargo run -p panoptes-auditnl --example audit_status`

use panoptes_auditnl::AuditControl;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut ctl = AuditControl::open()?;
    println!("{:?}", ctl.status()?);
    let rules = ctl.list_rules()?;
    println!("{} rules", rules.len());
    for r in rules {
        println!("  {:?} {:?} key={:?} fields={}", r.list, r.action, r.key(), r.fields.len());
    }
    Ok(())
}
