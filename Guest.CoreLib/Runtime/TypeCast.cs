using System.Runtime.CompilerServices;
using Internal.Runtime;

namespace System.Runtime
{
    // Casting helpers ilc calls for `is`, `as`, casts and covariant array stores. Generic variance is
    // not supported (a cast that would only succeed through variance fails).
    internal static unsafe class TypeCast
    {
        [RuntimeExport("RhTypeCast_IsInstanceOfClass")]
        internal static object? IsInstanceOfClass(MethodTable* pTargetType, object? obj)
        {
            if (obj is null) return null;
            return IsClassOrBase(obj.GetMethodTable(), pTargetType) ? obj : null;
        }

        [RuntimeExport("RhTypeCast_IsInstanceOfInterface")]
        internal static object? IsInstanceOfInterface(MethodTable* pTargetType, object? obj)
        {
            if (obj is null) return null;
            return ImplementsInterface(obj.GetMethodTable(), pTargetType) ? obj : null;
        }

        [RuntimeExport("RhTypeCast_IsInstanceOfAny")]
        internal static object? IsInstanceOfAny(MethodTable* pTargetType, object? obj)
        {
            if (obj is null) return null;
            return IsAssignable(obj.GetMethodTable(), pTargetType) ? obj : null;
        }

        [RuntimeExport("RhTypeCast_IsInstanceOfException")]
        internal static bool IsInstanceOfException(MethodTable* pTargetType, object? obj)
        {
            if (obj is null) return false;
            return IsClassOrBase(obj.GetMethodTable(), pTargetType);
        }

        [RuntimeExport("RhTypeCast_CheckCastClass")]
        internal static object? CheckCastClass(MethodTable* pTargetType, object? obj)
        {
            if (obj is null || IsClassOrBase(obj.GetMethodTable(), pTargetType)) return obj;
            throw new InvalidCastException();
        }

        [RuntimeExport("RhTypeCast_CheckCastClassSpecial")]
        internal static object? CheckCastClassSpecial(MethodTable* pTargetType, object? obj) => CheckCastClass(pTargetType, obj);

        [RuntimeExport("RhTypeCast_CheckCastInterface")]
        internal static object? CheckCastInterface(MethodTable* pTargetType, object? obj)
        {
            if (obj is null || ImplementsInterface(obj.GetMethodTable(), pTargetType)) return obj;
            throw new InvalidCastException();
        }

        [RuntimeExport("RhTypeCast_CheckCastAny")]
        internal static object? CheckCastAny(MethodTable* pTargetType, object? obj)
        {
            if (obj is null || IsAssignable(obj.GetMethodTable(), pTargetType)) return obj;
            throw new InvalidCastException();
        }

        [RuntimeExport("RhTypeCast_AreTypesAssignable")]
        internal static bool AreTypesAssignable(MethodTable* pSourceType, MethodTable* pTargetType) => IsAssignable(pSourceType, pTargetType);

        private static bool IsClassOrBase(MethodTable* mt, MethodTable* target)
        {
            if (mt == target) return true;
            if (mt->IsArray)
                return target == MethodTable.Of<Array>() || target == MethodTable.Of<object>();
            if (mt->IsParameterized) return false;
            for (MethodTable* b = mt->RelatedType; b != null; b = b->RelatedType)
                if (b == target) return true;
            return false;
        }

        private static bool ImplementsInterface(MethodTable* mt, MethodTable* itf)
        {
            MethodTable** map = mt->InterfaceMap;
            for (int i = 0; i < mt->_usNumInterfaces; i++)
                if (map[i] == itf) return true;
            return false;
        }

        internal static bool IsAssignable(MethodTable* mt, MethodTable* target)
        {
            if (mt == target) return true;
            if (target->IsInterface) return ImplementsInterface(mt, target);
            if (target->IsArray)
            {
                // Reference-element arrays are covariant: string[] is an object[].
                if (!mt->IsArray || mt->ElementType != target->ElementType || mt->BaseSize != target->BaseSize) return false;
                MethodTable* from = mt->ArrayElementType, to = target->ArrayElementType;
                if (from->IsValueType || to->IsValueType) return from == to;
                return IsAssignable(from, to);
            }
            return IsClassOrBase(mt, target);
        }

        [RuntimeExport("RhpStelemRef")]
        internal static void StelemRef(object?[] array, nint index, object? obj)
        {
            if ((nuint)index >= (nuint)(uint)array.Length) ThrowHelper.ThrowIndexOutOfRangeException();
            ref object? element = ref Unsafe.As<byte, object?>(ref Unsafe.As<Array>(array).RawData);
            element = ref Unsafe.Add(ref element, index);
            if (obj is not null)
            {
                MethodTable* elementType = array.GetMethodTable()->ArrayElementType;
                if (obj.GetMethodTable() != elementType && elementType != MethodTable.Of<object>() && !IsAssignable(obj.GetMethodTable(), elementType))
                    throw new ArrayTypeMismatchException();
            }
            element = obj;
        }

        [RuntimeExport("RhpLdelemaRef")]
        internal static ref object? LdelemaRef(object?[] array, nint index, MethodTable* elementType)
        {
            if ((nuint)index >= (nuint)(uint)array.Length) ThrowHelper.ThrowIndexOutOfRangeException();
            if (array.GetMethodTable()->ArrayElementType != elementType) throw new ArrayTypeMismatchException();
            ref object? element = ref Unsafe.As<byte, object?>(ref Unsafe.As<Array>(array).RawData);
            return ref Unsafe.Add(ref element, index);
        }
    }

    // Interface dispatch: find the code that implements interface method `slot` of `itf` for an object
    // of type `mt`, using the dispatch maps ilc emits (walking up the base types).
    internal static unsafe class InterfaceDispatch
    {
        internal static IntPtr Resolve(MethodTable* mt, MethodTable* itf, ushort slot)
        {
            for (int pass = 0; pass < 2; pass++)
            {
                // Pass 0: implementations on the classes; pass 1: default interface methods.
                for (MethodTable* cur = mt; cur != null; cur = cur->IsArray ? MethodTable.Of<Array>() : cur->RelatedType)
                {
                    DispatchMap* map = cur->DispatchMap;
                    if (map != null)
                    {
                        int first = pass == 0 ? 0 : map->StandardEntryCount;
                        int end = pass == 0 ? map->StandardEntryCount : map->StandardEntryCount + map->DefaultEntryCount;
                        DispatchMap.Entry* e = map->Entries;
                        for (int i = first; i < end; i++)
                        {
                            if (e[i].InterfaceMethodSlot != slot || cur->InterfaceMap[e[i].InterfaceIndex] != itf) continue;
                            ushort impl = e[i].ImplMethodSlot;
                            if (impl < cur->_usNumVtableSlots) return mt->VTable[impl];
                            if (impl >= 0xFFF0) break;
                            return cur->GetSealedVirtualSlot(impl - cur->_usNumVtableSlots);
                        }
                    }
                }
            }
            return IntPtr.Zero;
        }

        [RuntimeExport("RhResolveDispatch")]
        internal static IntPtr RhResolveDispatch(object obj, MethodTable* itf, ushort slot) => ResolveOrFail(obj.GetMethodTable(), itf, slot);

        [RuntimeExport("RhResolveDispatchOnType")]
        internal static IntPtr RhResolveDispatchOnType(MethodTable* mt, MethodTable* itf, ushort slot) => Resolve(mt, itf, slot);

        // ilc's interface dispatch cell: the stub to call, then (until the block's terminating cell,
        // whose stub is null and whose second word is the interface slot) a tagged reference to the
        // interface's MethodTable.
        internal struct DispatchCell
        {
            internal IntPtr Stub;
            internal nint Cache;
        }

        // A resolved cell's second word points at one of these (and its stub at the cached-dispatch
        // stub in boot.S, which compares Type and jumps to Target).
        private struct CellCache
        {
            internal MethodTable* Type;
            internal IntPtr Target;
            internal MethodTable* Interface;
            internal nint Slot;
        }

        [System.Runtime.InteropServices.DllImport("*", EntryPoint = "tender_cached_dispatch_stub")]
        [System.Runtime.InteropServices.SuppressGCTransition]
        private static extern IntPtr CachedDispatchStub();

        private const int CacheSize = 512;
        private static nint* s_cache; // (cell, type, target) triples, direct-mapped: for sites that see many types

        [RuntimeExport("GuestRuntime_ResolveInterface")]
        internal static IntPtr ResolveInterfaceCall(object obj, DispatchCell* cell)
        {
            MethodTable* mt = obj.GetMethodTable();
            if (s_cache == null) s_cache = (nint*)Heap.Reserve((nuint)(CacheSize * 3 * sizeof(nint)));
            nint* entry = s_cache + 3 * (int)((((ulong)cell >> 4) ^ ((ulong)mt >> 3)) & (CacheSize - 1));
            if (entry[0] == (nint)cell && entry[1] == (nint)mt)
            {
                // Seen before at this site: point the cell's block at this type again.
                if ((cell->Cache & 3) == 0)
                {
                    ((CellCache*)cell->Cache)->Type = mt;
                    ((CellCache*)cell->Cache)->Target = entry[2];
                }
                return entry[2];
            }

            CellCache* block;
            MethodTable* itf;
            ushort slot;
            nint tagged = cell->Cache;
            if ((tagged & 3) == 0)
            {
                block = (CellCache*)tagged;
                itf = block->Interface;
                slot = (ushort)block->Slot;
            }
            else
            {
                byte* at = (byte*)&cell->Cache;
                switch ((int)(tagged & 3))
                {
                    case 1: itf = (MethodTable*)(tagged & ~(nint)3); break;
                    case 2: itf = *(MethodTable**)(at + (tagged & ~(nint)3)); break;
                    default: itf = (MethodTable*)(at + (tagged & ~(nint)3)); break;
                }
                DispatchCell* end = cell;
                while (end->Stub != IntPtr.Zero) end++;
                slot = (ushort)end->Cache;
                block = (CellCache*)Heap.Reserve((nuint)sizeof(CellCache));
                block->Interface = itf;
                block->Slot = slot;
            }

            IntPtr target = ResolveOrFail(mt, itf, slot);
            entry[0] = (nint)cell;
            entry[1] = (nint)mt;
            entry[2] = target;
            // The cell now serves this type without leaving the stub (last type seen wins).
            block->Type = mt;
            block->Target = target;
            if (cell->Cache != (nint)block)
            {
                cell->Cache = (nint)block;
                cell->Stub = CachedDispatchStub();
            }
            return target;
        }

        internal static IntPtr ResolveOrFail(MethodTable* mt, MethodTable* itf, ushort slot)
        {
            IntPtr target = Resolve(mt, itf, slot);
            if (target == IntPtr.Zero)
            {
                FailFast.Abort("Interface dispatch failed: no implementation found (type " + ((ulong)mt).ToString("x") +
                    ", interface " + ((ulong)itf).ToString("x") + ", slot " + slot.ToString() + ")");
            }
            return target;
        }
    }
}
