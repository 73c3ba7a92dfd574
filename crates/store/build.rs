// sqlx::migrate! embeds the migration folders at compile time; rebuild when one changes
// (a new file alone does not otherwise trigger a rebuild).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
