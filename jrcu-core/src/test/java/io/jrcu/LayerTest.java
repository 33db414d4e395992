package io.jrcu;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.Architectures.LayeredArchitecture;
import io.jrcu.internal.BackoffIdle;
import io.jrcu.internal.Bridge;
import io.jrcu.internal.DeferRing;
import io.jrcu.internal.Faults;
import io.jrcu.internal.JfrEvents;
import io.jrcu.internal.LibraryFlavor;
import io.jrcu.internal.Membarrier;
import io.jrcu.internal.NativeCpu;
import io.jrcu.internal.Uninterruptibly;
import io.jrcu.internal.VarHandles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The layer rules of {@code docs/architecture.md}, checked on the compiled main classes of jrcu-core with ArchUnit.
 * Each layer is a named set of top-level classes (with their nested classes) or a package; every main class must be
 * in exactly one layer, so a new class is placed on purpose. From the bottom up:
 * <pre>
 *   Support    io.jrcu.internal helpers that know nothing of jrcu (VarHandles, BackoffIdle, Uninterruptibly, ...)
 *   Api        the user's contract types (Rcu, RcuReader, ReadSection, RcuCallback, RcuBuilder, ...)
 *   Engine     grace periods: GracePeriodSequence, GracePeriodEngine, DomainThread, readers, waits
 *   Callbacks  call/defer/barrier machinery: Callbacks and its parts, Worker, CallbackQueue, DeferBatches
 *   Domain     the flavors: AbstractRcu (engine + callbacks), MembRcu, QsbrRcu, BulletProofRcu, their parts
 *   Seam       what libraries see of a domain: LibraryFlavor, Bridge, Faults
 *   Defer      deferred reclamation on a domain: DeferRing (the queue core), DeferQueue (its public face), RcuRef
 *   Arena      io.jrcu.arena
 *   Maps       io.jrcu.map
 * </pre>
 * Allowed exceptions, which the language needs: the sealed {@code Rcu} names its flavors in {@code permits}.
 */
class LayerTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS).importPackages("io.jrcu");
    }

    static final Class<?>[] SUPPORT = {VarHandles.class, BackoffIdle.class, Uninterruptibly.class, Membarrier.class,
            NativeCpu.class, JfrEvents.class, DebugProtection.class};
    static final Class<?>[] API = {Rcu.class, RcuReader.class, ReadSection.class, RcuBuilder.class, RcuCallback.class,
            CallbackWorker.class, CallbackWorkers.class, WorkerOptions.class, Backpressure.class, RcuStats.class,
            RcuReference.class, LibraryVersion.class};
    static final Class<?>[] ENGINE = {GracePeriodSequence.class, GracePeriodEngine.class, DomainThread.class,
            GracePeriodState.class, GracePeriodWait.class, AbstractReader.class};
    static final Class<?>[] CALLBACKS = {Callbacks.class, WorkerRegistry.class, CallbackBudget.class,
            CallbackBarrier.class, CallbackThreads.class, StrandedCallbacks.class, Worker.class, CallbackQueue.class,
            DeferBatches.class};
    static final Class<?>[] DOMAIN = {AbstractRcu.class, MembRcu.class, QsbrRcu.class, BulletProofRcu.class,
            CounterRcu.class, ReaderRegistry.class, ThreadReaders.class, TokenTable.class, StripedThreads.class};
    static final Class<?>[] SEAM = {LibraryFlavor.class, Bridge.class, Faults.class};
    static final Class<?>[] DEFER = {DeferRing.class, DeferQueue.class, RcuRef.class};

    /** The layers, each allowed to use only the ones its description names. */
    static LayeredArchitecture layers() {
        return layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Support").definedBy(topLevel(SUPPORT))
                .layer("Api").definedBy(topLevel(API))
                .layer("Engine").definedBy(topLevel(ENGINE))
                .layer("Callbacks").definedBy(topLevel(CALLBACKS))
                .layer("Domain").definedBy(topLevel(DOMAIN))
                .layer("Seam").definedBy(topLevel(SEAM))
                .layer("Defer").definedBy(topLevel(DEFER))
                .layer("Arena").definedBy("io.jrcu.arena..")
                .optionalLayer("Maps").definedBy("io.jrcu.map..")
                .optionalLayer("PackageInfo").definedBy(packageInfo())

                .whereLayer("Maps").mayNotBeAccessedByAnyLayer()
                .whereLayer("Arena").mayOnlyBeAccessedByLayers("Maps")
                .whereLayer("Defer").mayOnlyBeAccessedByLayers("Arena", "Maps")
                .whereLayer("Seam").mayOnlyBeAccessedByLayers("Engine", "Domain", "Defer", "Arena", "Maps")
                .whereLayer("Domain").mayNotBeAccessedByAnyLayer()
                .whereLayer("Callbacks").mayOnlyBeAccessedByLayers("Domain")
                .whereLayer("Engine").mayOnlyBeAccessedByLayers("Callbacks", "Domain")
                .whereLayer("Support").mayNotAccessAnyLayer()
                // the engine and the callbacks use no library type; the seam knows only the contract
                .whereLayer("Engine").mayOnlyAccessLayers("Support", "Api", "Seam")
                .whereLayer("Callbacks").mayOnlyAccessLayers("Support", "Api", "Engine")
                .whereLayer("Seam").mayOnlyAccessLayers("Support", "Api")
                .whereLayer("Defer").mayOnlyAccessLayers("Support", "Api", "Seam")
                .whereLayer("Arena").mayOnlyAccessLayers("Support", "Api", "Seam", "Defer")
                .whereLayer("Maps").mayOnlyAccessLayers("Support", "Api", "Seam", "Defer", "Arena")
                // the sealed interface names its flavors: the one upward edge the language needs
                .ignoreDependency(topLevel(Rcu.class), topLevel(DOMAIN))
                .ensureAllClassesAreContainedInArchitecture();
    }

    @Test
    void eachLayerUsesOnlyTheLayersBelowIt() {
        layers().check(classes);
    }

    @Test
    void thePackagesHaveNoCycles() {
        slices().matching("io.jrcu.(*)..").should().beFreeOfCycles().check(classes);
    }

    @Test
    void theLayerRulesCatchAnEngineThatKnowsTheCallbacks() {
        // the rules can fail: the engine seen as if it used Callbacks (Domain's AbstractRcu does) breaks them
        LayeredArchitecture engineWithFacade = layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Engine").definedBy(topLevel(AbstractRcu.class))
                .layer("Callbacks").definedBy(topLevel(CALLBACKS))
                .whereLayer("Callbacks").mayNotBeAccessedByAnyLayer();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> engineWithFacade.check(classes))
                .isInstanceOf(AssertionError.class).hasMessageContaining("AbstractRcu");
    }

    /** The named classes and every class of their source files (nested classes, padding superclasses). */
    static DescribedPredicate<JavaClass> topLevel(Class<?>... tops) {
        Set<String> names = Arrays.stream(tops).map(Class::getName).collect(Collectors.toSet());
        return DescribedPredicate.describe(names.stream().map(n -> n.substring(n.lastIndexOf('.') + 1)).sorted()
                .collect(Collectors.joining(", ")), c -> names.contains(sourceClassName(c)));
    }

    /** The class a source file is named after: {@code io.jrcu.GracePeriodState} for its padding superclasses too. */
    private static String sourceClassName(JavaClass c) {
        String file = c.getSource().flatMap(source -> source.getFileName()).orElse(null);
        if (file == null || !file.endsWith(".java")) {
            return topLevelName(c.getName());
        }
        return c.getPackageName() + "." + file.substring(0, file.length() - ".java".length());
    }

    private static DescribedPredicate<JavaClass> packageInfo() {
        return DescribedPredicate.describe("package-info", c -> c.getSimpleName().equals("package-info"));
    }

    private static String topLevelName(String name) {
        int nested = name.indexOf('$');
        return nested < 0 ? name : name.substring(0, nested);
    }
}
