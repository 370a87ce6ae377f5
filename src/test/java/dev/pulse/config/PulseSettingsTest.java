package dev.pulse.config;


import org.junit.jupiter.api.Test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PulseSettingsTest {

    private static PulseSettings with(long interval, long timeout) {
        return PulseSettings.builder().heartbeat(interval, timeout).build();
    }

    @Test
    void defaultsAreValidAndMatchTheReadme() {
        PulseSettings d = PulseSettings.defaults().validate();
        assertEquals(25_000, d.heartbeatInterval());
        assertEquals(20_000, d.heartbeatTimeout());
        assertEquals(65_536, d.maxMessageBytes());
    }

    @Test
    void rejectsATimeoutThatIsNotPositive() {
        var e = assertThrows(InvalidSettingsException.class, () -> with(1000, 0).validate());
        assertTrue(e.getMessage().contains("pulse.heartbeat.timeout=0"), e.getMessage());
        assertThrows(InvalidSettingsException.class, () -> with(1000, -5).validate());
    }

    @Test
    void rejectsAnIntervalBelowTheTick() {
        var e = assertThrows(InvalidSettingsException.class, () -> with(999, 2000).validate());
        assertTrue(e.getMessage().contains("pulse.heartbeat.interval=999"), e.getMessage());
        assertTrue(e.getMessage().contains("tick"), e.getMessage());
    }

    @Test
    void namesEveryBadKeyAtOnce() {
        var e = assertThrows(InvalidSettingsException.class, () -> with(10, 0).validate());
        assertTrue(e.getMessage().contains("interval") && e.getMessage().contains("timeout"), e.getMessage());
    }

    @Test
    void acceptsTheSmallestSensibleValues() {
        assertEquals(1000, with(1000, 1).validate().heartbeatInterval());
    }

    @Test
    void theLagAllowanceIsTheTimeoutUnlessSet() {
        assertEquals(2000, with(1000, 2000).lagAllowance());
        PulseSettings set = with(1000, 2000).toBuilder().overload(Overload.defaults().withAllowance(500)).build();
        assertEquals(500, set.validate().lagAllowance());
        assertEquals(0, with(1000, 2000).toBuilder().overload(Overload.defaults().withAllowance(0)).validate()
                .lagAllowance(), "0 turns it off");
    }

    @Test
    void admissionDefaultsMatchTheReadmeAndNonsenseIsNamed() {
        Overload d = PulseSettings.defaults().overload();
        assertEquals(3000, d.maxLag());
        assertEquals(2000, d.retryAfter());
        assertEquals(5000, d.retryJitter());
        var e = assertThrows(InvalidSettingsException.class, () -> with(1000, 2000).toBuilder()
                .overload(new Overload(-5, -1, -1, 0)).validate());
        assertTrue(e.getMessage().contains("pulse.heartbeat.lag-allowance=-5"), e.getMessage());
        assertTrue(e.getMessage().contains("pulse.admission.max-lag=-1"), e.getMessage());
        assertTrue(e.getMessage().contains("pulse.admission.retry-after"), e.getMessage());
    }

    @Test
    void theRampIsOffByDefaultAndStartsAtThree() {
        Overload d = PulseSettings.defaults().overload();
        assertFalse(d.ramp());
        assertEquals(3, d.rampStart());
        Overload on = with(1000, 2000).toBuilder().overload(d.withRamp(true, 5)).validate().overload();
        assertTrue(on.ramp());
        assertEquals(5, on.rampStart());
        assertEquals(3000, on.withAdmission(3000, 2000, 5000).maxLag());
        assertTrue(on.withAllowance(10).ramp(), "the other settings keep it");
        var e = assertThrows(InvalidSettingsException.class, () -> with(1000, 2000).toBuilder()
                .overload(d.withRamp(true, 0)).validate());
        assertTrue(e.getMessage().contains("pulse.admission.ramp-start=0"), e.getMessage());
    }
}
