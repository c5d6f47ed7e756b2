namespace Tender.Kvm;

/// <summary>
/// Whether KVM's guest debugging (KVM_SET_GUEST_DEBUG's debug registers, and the guest's own
/// DR0-DR7) works on this host. It does not where /dev/kvm is served by PVM (kvm_pvm, the
/// "pagetable-based" KVM for nested hosts without VMX/SVM): the call succeeds there but neither
/// a hardware breakpoint nor a watchpoint ever fires (measured: docs/debugging.md). The vendor
/// module that serves /dev/kvm is the capability: KVM offers no query that tells the truth here.
/// </summary>
internal static class KvmGuestDebugSupport
{
    private static readonly Lazy<bool> Works = new(() => !Directory.Exists("/sys/module/kvm_pvm"));

    public static bool DebugRegistersWork => Works.Value;
}
