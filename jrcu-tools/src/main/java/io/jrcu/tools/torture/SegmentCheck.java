package io.jrcu.tools.torture;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The observation of the {@code arena} mode: every byte of the segment a slot publishes, checked against its
 * {@link SegmentPattern} while the reader is protected.
 */
final class SegmentCheck implements ReadCheck {
    /*
     * The check:
     *
     *   protected {
     *     s = slot[random].get()                 acquire; pairs with the writer's getAndSet
     *     g = s.generation                       opaque
     *     linger                                 (the reader decides)
     *     every byte of s after g matches the pattern of g, then s.generation == g once more
     *   }
     *   intact: counted 0 if the slot still holds s, else 1 (replaced during the observation: legal)
     *   a byte off the pattern: FREED, an error
     *   IllegalStateException from the FFM runtime: FREED, an error (the memory was released under the reader:
     *   the arena releases a dedicated allocation after its grace period instead of poisoning it)
     *
     * Why a broken byte is an error: the writer frees s only after replacing it, and the arena may poison or reuse
     * s's memory only after a grace period that began after the free. This reader loaded s before the replacement,
     * so its protected interval began before that grace period and must end before it does: every byte it reads
     * is the writer's. POISON means the arena's debug mode filled the block after a grace period that did not wait
     * for this reader; another pattern means the block was also handed out again and filled by a writer. The bytes
     * are read plain (once each), the generation opaque (first and last, so the JIT cannot merge the two reads);
     * only jrcu orders them against the arena's poison and the next writer's pattern.
     */

    private final SegmentSlots slots;

    SegmentCheck(SegmentSlots slots) {
        this.slots = slots;
    }

    @Override
    public void observe(TortureReader reader, ThreadLocalRandom random) {
        int slot = random.nextInt(slots.count());
        MemorySegment s = slots.slot(slot).get(); // acquire; pairs with the writer's getAndSet (volatile)
        long generation = OracleError.Segment.UNKNOWN_GENERATION;
        long offset;
        try {
            generation = SegmentPattern.readGeneration(s);
            reader.linger(random);
            offset = SegmentPattern.firstMismatch(s, generation);
        } catch (IllegalStateException released) {
            // the FFM runtime refuses: the arena already released the segment's memory (a dedicated allocation is
            // released after its grace period, not poisoned)
            reader.recordError(TortureReader.FREED, new OracleError.Segment(reader.name, reader.sinceStart(), slot,
                    generation, s.byteSize(), OracleError.Segment.RELEASED, (byte) 0, (byte) 0));
            return;
        }
        if (offset == SegmentPattern.INTACT) {
            // acquire load, as the first: was s replaced while this reader held it?
            reader.record(slots.slot(slot).get() == s ? TortureReader.AGE_0 : TortureReader.AGE_1);
        } else {
            // the byte is read again for the report: poison stays until the block is reused, which is rarer
            byte seen = s.get(ValueLayout.JAVA_BYTE, offset);
            reader.recordError(TortureReader.FREED, new OracleError.Segment(reader.name, reader.sinceStart(), slot,
                    generation, s.byteSize(), offset,
                    SegmentPattern.expectedByte(generation, s.byteSize(), offset), seen));
        }
    }
}
