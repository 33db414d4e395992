module com.example.consumer {
    requires io.jrcu;
}
