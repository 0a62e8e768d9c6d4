fn main() {
    idempotence_app::start();
}
