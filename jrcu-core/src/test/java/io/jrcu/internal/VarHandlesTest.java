package io.jrcu.internal;

import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link VarHandles}: handles on the lookup's own fields and on another class's, and the error of a failed lookup. */
class VarHandlesTest {

    @SuppressWarnings("unused") // through the handle under test
    private volatile long count;

    /** A field of another class, as a padding superclass or a nested class holds it. */
    static final class Holder {
        @SuppressWarnings("unused") // through the handle under test
        private volatile int flag;
    }

    @Test
    void aFieldOfTheLookupsClassIsFoundByName() {
        VarHandle handle = VarHandles.field(MethodHandles.lookup(), "count", long.class);
        handle.setRelease(this, 7L);
        assertThat((long) handle.getAcquire(this)).isEqualTo(7L);
    }

    @Test
    void aFieldOfAnotherClassIsFoundThroughItsHolder() {
        VarHandle handle = VarHandles.field(MethodHandles.lookup(), Holder.class, "flag", int.class);
        Holder holder = new Holder();
        assertThat(handle.compareAndSet(holder, 0, 1)).isTrue();
        assertThat((int) handle.getVolatile(holder)).isEqualTo(1);
    }

    @Test
    void aMissingFieldFailsTheInitializerNamingClassFieldAndType() {
        assertThatThrownBy(() -> VarHandles.field(MethodHandles.lookup(), "missing", long.class))
                .isInstanceOf(ExceptionInInitializerError.class)
                .cause()
                .hasMessageContaining(VarHandlesTest.class.getName() + ".missing")
                .hasMessageContaining("long")
                .hasCauseInstanceOf(NoSuchFieldException.class);
    }

    @Test
    void aFieldOfTheWrongTypeFailsTheInitializer() {
        assertThatThrownBy(() -> VarHandles.field(MethodHandles.lookup(), Holder.class, "flag", long.class))
                .isInstanceOf(ExceptionInInitializerError.class)
                .cause()
                .hasMessageContaining(Holder.class.getName() + ".flag");
    }
}
