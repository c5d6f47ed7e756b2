using System;
using System.Runtime.CompilerServices;

namespace Internal.Runtime
{
    // The part of NativeAOT's type descriptor (what ilc emits for every type) that the guest runtime reads:
    // allocation sizes, the base type chain, the interface list and the interface dispatch map.
    internal unsafe struct MethodTable
    {
        internal uint _uFlags;
        internal uint _uBaseSize;
        internal MethodTable* _relatedType;
        internal ushort _usNumVtableSlots;
        internal ushort _usNumInterfaces;
        internal uint _uHashCode;

        private const uint HasComponentSizeFlag = 0x80000000;
        private const uint HasDispatchMapFlag = 0x00040000;
        private const uint HasFinalizerFlag = 0x00100000;
        private const uint HasPointersFlag = 0x01000000;     // the GC relies on it: the type has a GC descriptor
        private const uint HasSealedVTableEntriesFlag = 0x00400000;
        private const uint IsGenericFlag = 0x02000000;
        private const uint KindMask = 0x00030000;
        private const uint ElementTypeMask = 0x7C000000;
        private const int ElementTypeShift = 26;

        internal const uint ParameterizedKind = 0x00020000;

        internal const int ElementTypeClass = 0x14;
        internal const int ElementTypeInterface = 0x15;
        internal const int ElementTypeArray = 0x17;
        internal const int ElementTypeSzArray = 0x18;
        internal const int ElementTypeNullable = 0x12;

        [Intrinsic]
        internal static MethodTable* Of<T>() => throw new PlatformNotSupportedException();

        internal bool HasComponentSize => (_uFlags & HasComponentSizeFlag) != 0;
        internal ushort ComponentSize => HasComponentSize ? (ushort)_uFlags : (ushort)0;
        internal uint BaseSize => _uBaseSize;
        internal int ElementType => (int)((_uFlags & ElementTypeMask) >> ElementTypeShift);
        internal bool IsParameterized => (_uFlags & KindMask) == ParameterizedKind;
        internal bool IsArray => ElementType == ElementTypeArray || ElementType == ElementTypeSzArray;
        internal bool IsInterface => ElementType == ElementTypeInterface;
        internal bool IsValueType => ElementType < ElementTypeClass;
        internal bool IsNullable => ElementType == ElementTypeNullable;
        internal bool HasDispatchMap => (_uFlags & HasDispatchMapFlag) != 0;
        internal bool HasGCPointers => (_uFlags & HasPointersFlag) != 0;

        // For a class: its base class (null for System.Object). For an array: System.Array is the base
        // and the related type is the element type.
        internal MethodTable* RelatedType => _relatedType;
        internal MethodTable* ArrayElementType => _relatedType;

        internal IntPtr* VTable
        {
            get { fixed (MethodTable* self = &this) return (IntPtr*)((byte*)self + sizeof(MethodTable)); }
        }

        internal MethodTable** InterfaceMap
        {
            get { fixed (MethodTable* self = &this) return (MethodTable**)((byte*)self + sizeof(MethodTable) + sizeof(IntPtr) * _usNumVtableSlots); }
        }

        // The optional fields that follow the interface map are 32-bit self-relative pointers in a
        // statically compiled image: type manager, writable data, dispatch map, finalizer, sealed vtable.
        private byte* AfterInterfaceMap
        {
            get { fixed (MethodTable* self = &this) return (byte*)self + sizeof(MethodTable) + sizeof(IntPtr) * _usNumVtableSlots + sizeof(IntPtr) * _usNumInterfaces; }
        }

        private static byte* FollowRelative(byte* at) => at + *(int*)at;

        internal DispatchMap* DispatchMap
        {
            get
            {
                if (!HasDispatchMap) return null;
                return (DispatchMap*)FollowRelative(AfterInterfaceMap + 8);
            }
        }

        internal IntPtr GetSealedVirtualSlot(int slot)
        {
            byte* p = AfterInterfaceMap + 8;
            if (HasDispatchMap) p += 4;
            if ((_uFlags & HasFinalizerFlag) != 0) p += 4;
            byte* table = FollowRelative(p);
            return (IntPtr)FollowRelative(table + slot * 4);
        }
    }

    internal unsafe struct DispatchMap
    {
        internal ushort StandardEntryCount;
        internal ushort DefaultEntryCount;
        internal ushort StandardStaticEntryCount;
        internal ushort DefaultStaticEntryCount;

        internal struct Entry
        {
            internal ushort InterfaceIndex;
            internal ushort InterfaceMethodSlot;
            internal ushort ImplMethodSlot;
        }

        internal Entry* Entries
        {
            get { fixed (DispatchMap* self = &this) return (Entry*)((byte*)self + 8); }
        }
    }
}
