fn main() {
    slint_build::compile("ui/main.slint").expect("ui/main.slint compiles");
}
