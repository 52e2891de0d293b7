//! `sqlx::migrate!` embeds `migrations/` when the crate compiles; without this, a changed
//! migration file alone would not make cargo compile it again (sqlx's documented advice).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
