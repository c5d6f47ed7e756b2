using System;
using System.Runtime.CompilerServices;

namespace Internal.Runtime
{
    // The collected heap's layout and allocator. The heap region [kernel_end, stack_bottom - guard page)
    // starts with the collector's own tables (block table, mark bitmap, mark stack), then a run of
    // 32 KiB blocks. A block is free, holds cells of one size class (objects up to MaxSmall bytes),
    // is part of one large object (a run of whole blocks), or holds raw runtime memory (never freed,
    // never scanned). Objects never move. Allocation pops the size class's free list (the cells of a
    // fresh block are threaded into it when the block is taken); a collection rebuilds the lists.
    internal static unsafe partial class GcHeap
    {
        internal const int BlockShift = 15;
        internal const nuint BlockSize = (nuint)1 << BlockShift;
        internal const nuint MaxSmall = 16384;
        internal const int ClassCount = 72;

        internal const byte KindFree = 0;
        internal const byte KindSmall = 1;
        internal const byte KindLarge = 2;      // first block of a large object
        internal const byte KindLargeTail = 3;  // further blocks of a large object
        internal const byte KindRaw = 4;        // runtime memory outside the collector's view

        // One entry per block. Start: for a large object's blocks, the index of its first block;
        // Count: the run length (first block) or the number of cells (small block).
        internal struct Block
        {
            internal byte Kind;
            internal byte SizeClass;
            internal byte Dirty;        // written since it was last zeroed
            internal byte Pad;
            internal uint CellSize;
            internal uint Count;
            internal uint Start;
        }

        // Fixed-size tables in the image's bss: valid (all zero, every free list empty) before the
        // heap is initialised, so the fast path needs no initialisation check.
        private struct Tables
        {
            internal fixed byte ClassOf[(int)(MaxSmall / 8) + 1];
            internal fixed ulong Free[ClassCount];
            internal fixed uint CellSize[ClassCount];
        }

        private static Tables s_tables;

        internal static byte* s_base;          // first block
        internal static nuint s_blockCount;
        internal static Block* s_blocks;
        internal static ulong* s_marks;        // one bit per 8 heap bytes
        internal static nuint s_markWords;
        internal static byte* s_regionStart;   // the whole heap region, tables included
        internal static byte* s_regionEnd;
        private static nuint s_rover;          // where the next search for a free block starts
        private static bool s_initialized;
        internal static nuint s_highWater;     // blocks at and above it have never been used
        private static int s_classCount;

        private static byte* s_rawNext;
        private static byte* s_rawEnd;

        // Counters (bytes): all allocations ever; allocations since the last collection's end.
        internal static ulong s_allocatedTotal;
        internal static ulong s_allocatedAtCollection;
        internal static nuint s_blocksInUse;

        internal static bool Initialized => s_initialized;

        internal static void Initialize()
        {
            if (s_initialized) return;
            s_initialized = true;
            Solo5.HvtAbi.BootInfo* bi = Hvt.BootInfo();
            ulong stack = Hvt.StackSize();
            if (stack == 0) stack = 1024 * 1024;
            byte* start = (byte*)((bi->KernelEnd + 4095) & ~4095UL);
            byte* end = (byte*)(bi->MemSize - stack - 4096);
            if (end < start) end = start;
            s_regionStart = start;
            s_regionEnd = end;
            nuint total = (nuint)(end - start);
            // Per block: the block, its table entry, its mark bits, and a share of the mark stack.
            nuint perBlock = BlockSize + (nuint)sizeof(Block) + BlockSize / 64 + BlockSize / 128;
            nuint blocks = total / perBlock;
            if (blocks > 0) blocks--; // room for alignment
            s_blockCount = blocks;
            byte* p = start;
            s_blocks = (Block*)p;
            p += blocks * (nuint)sizeof(Block);
            p = (byte*)(((nuint)p + 63) & ~(nuint)63);
            s_marks = (ulong*)p;
            s_markWords = blocks * (BlockSize / 512);
            p += s_markWords * 8;
            nuint stackBytes = blocks * (BlockSize / 128);
            if (stackBytes < 4096) stackBytes = 4096;
            GcMark.SetStack((byte**)p, stackBytes / (nuint)sizeof(nint));
            p += stackBytes;
            p = (byte*)(((nuint)p + BlockSize - 1) & ~(BlockSize - 1));
            while (blocks > 0 && p + blocks * BlockSize > end) blocks--;
            s_blockCount = blocks;
            s_base = p;
            for (nuint i = 0; i < blocks; i++) { s_blocks[i] = default; s_blocks[i].Dirty = 1; }
            InitializeSizeClasses();
            GcCollector.ResetBudget();
        }

        private static void InitializeSizeClasses()
        {
            int n = 0;
            uint size = 24;
            while (size <= MaxSmall && n < ClassCount)
            {
                s_tables.CellSize[n++] = size;
                uint step = size < 128 ? 8u : size < 256 ? 16u : size < 512 ? 32u : size < 1024 ? 64u
                    : size < 2048 ? 128u : size < 4096 ? 256u : size < 8192 ? 512u : 1024u;
                size += step;
            }
            s_classCount = n;
            int cls = 0;
            for (int g = 0; g <= (int)(MaxSmall / 8); g++)
            {
                while (cls < n - 1 && s_tables.CellSize[cls] < (uint)g * 8) cls++;
                s_tables.ClassOf[g] = (byte)cls;
            }
        }

        internal static int ClassCountInUse => s_classCount;
        internal static uint ClassCellSize(int cls) => s_tables.CellSize[cls];
        internal static ref ulong FreeList(int cls) => ref s_tables.Free[cls];

        internal static byte* BlockAddress(nuint index) => s_base + (index << BlockShift);

        // The allocation fast path: a zeroed cell of the right class with its MethodTable set.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        internal static byte* Allocate(MethodTable* mt, nuint size)
        {
            if (size <= MaxSmall)
            {
                int cls = s_tables.ClassOf[(int)(size >> 3)];
                byte* p = (byte*)s_tables.Free[cls];
                if (p != null)
                {
                    s_tables.Free[cls] = *(ulong*)(p + 8);
                    *(ulong*)(p + 8) = 0;
                    *(MethodTable**)p = mt;
                    s_allocatedTotal += size;
                    return p;
                }
            }
            return AllocateSlow(mt, size);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static byte* AllocateSlow(MethodTable* mt, nuint size)
        {
            if (!s_initialized) Initialize();
            if (size < 24) size = 24;
            size = (size + 7) & ~(nuint)7;
            if (s_allocatedTotal - s_allocatedAtCollection >= GcCollector.Budget) GcCollector.Collect(GcCollector.ReasonBudget);
            byte* p = TryAllocateWithoutCollecting(size);
            if (p == null)
            {
                GcCollector.Collect(GcCollector.ReasonLowMemory);
                p = TryAllocateWithoutCollecting(size);
                if (p == null) Heap.OutOfMemory(size);
            }
            *(MethodTable**)p = mt;
            s_allocatedTotal += size;
            return p;
        }

        private static byte* TryAllocateWithoutCollecting(nuint size)
        {
            if (size <= MaxSmall)
            {
                int cls = s_tables.ClassOf[(int)(size >> 3)];
                byte* p = (byte*)s_tables.Free[cls];
                if (p == null)
                {
                    if (!TryRefill(cls)) return null;
                    p = (byte*)s_tables.Free[cls];
                }
                s_tables.Free[cls] = *(ulong*)(p + 8);
                *(ulong*)(p + 8) = 0;
                return p;
            }
            return TryAllocateLarge(size);
        }

        // Takes a free block for a size class and threads its cells into the class's free list.
        private static bool TryRefill(int cls)
        {
            nuint index = FindFreeBlock();
            if (index == nuint.MaxValue) return false;
            byte* b = TakeBlocks(index, 1);
            Block* info = s_blocks + index;
            uint cellSize = s_tables.CellSize[cls];
            uint count = (uint)(BlockSize / cellSize);
            info->Kind = KindSmall;
            info->SizeClass = (byte)cls;
            info->CellSize = cellSize;
            info->Count = count;
            byte* next = (byte*)s_tables.Free[cls];
            for (uint k = count; k > 0; k--)
            {
                byte* cell = b + (k - 1) * cellSize;
                *(byte**)(cell + 8) = next;
                next = cell;
            }
            s_tables.Free[cls] = (ulong)next;
            return true;
        }

        private static byte* TryAllocateLarge(nuint size)
        {
            nuint n = (size + BlockSize - 1) >> BlockShift;
            nuint index = FindFreeRun(n);
            if (index == nuint.MaxValue) return null;
            byte* p = TakeBlocks(index, n);
            s_blocks[index].Kind = KindLarge;
            s_blocks[index].Count = (uint)n;
            s_blocks[index].Start = (uint)index;
            for (nuint i = 1; i < n; i++)
            {
                s_blocks[index + i].Kind = KindLargeTail;
                s_blocks[index + i].Start = (uint)index;
            }
            return p;
        }

        // Raw runtime memory (caches, buffers): zeroed, 8-byte aligned, never freed or scanned.
        internal static void* AllocateRaw(nuint size)
        {
            if (!s_initialized) Initialize();
            size = (size + 7) & ~(nuint)7;
            if (size > BlockSize / 4)
            {
                nuint n = (size + BlockSize - 1) >> BlockShift;
                nuint index = FindFreeRun(n);
                if (index == nuint.MaxValue) { GcCollector.Collect(GcCollector.ReasonLowMemory); index = FindFreeRun(n); }
                if (index == nuint.MaxValue) return null;
                byte* run = TakeBlocks(index, n);
                for (nuint i = 0; i < n; i++) s_blocks[index + i].Kind = KindRaw;
                return run;
            }
            if ((nuint)(s_rawEnd - s_rawNext) < size)
            {
                nuint index = FindFreeBlock();
                if (index == nuint.MaxValue) { GcCollector.Collect(GcCollector.ReasonLowMemory); index = FindFreeBlock(); }
                if (index == nuint.MaxValue) return null;
                s_rawNext = TakeBlocks(index, 1);
                s_rawEnd = s_rawNext + BlockSize;
                s_blocks[index].Kind = KindRaw;
            }
            byte* p = s_rawNext;
            s_rawNext += size;
            return p;
        }

        // Marks n blocks from index as taken and returns them zeroed.
        private static byte* TakeBlocks(nuint index, nuint n)
        {
            byte* p = BlockAddress(index);
            for (nuint i = 0; i < n; i++)
            {
                Block* info = s_blocks + index + i;
                if (info->Dirty != 0) Native.Memset(p + (i << BlockShift), 0, BlockSize);
                *info = default;
                info->Dirty = 1;
            }
            s_blocksInUse += n;
            if (index + n > s_highWater) s_highWater = index + n;
            return p;
        }

        private static nuint FindFreeBlock()
        {
            for (nuint i = s_rover; i < s_blockCount; i++)
                if (s_blocks[i].Kind == KindFree) { s_rover = i + 1; return i; }
            s_rover = s_blockCount;
            return nuint.MaxValue;
        }

        private static nuint FindFreeRun(nuint n)
        {
            nuint run = 0;
            for (nuint i = 0; i < s_blockCount; i++)
            {
                if (s_blocks[i].Kind != KindFree) { run = 0; continue; }
                if (++run == n) return i + 1 - n;
            }
            return nuint.MaxValue;
        }

        // After a sweep: free blocks may be anywhere again.
        internal static void ResetFreeBlockSearch() => s_rover = 0;

        internal static nuint FreeBlocks => s_blockCount - s_blocksInUse;

        // The object (start address) that a word points at or into, or null: a conservative root.
        internal static byte* FindObject(nuint word)
        {
            nuint offset = word - (nuint)s_base;
            if (offset >= s_blockCount << BlockShift) return null;
            Block* info = s_blocks + (offset >> BlockShift);
            switch (info->Kind)
            {
                case KindSmall:
                {
                    nuint inBlock = offset & (BlockSize - 1);
                    nuint k = inBlock / info->CellSize;
                    if (k >= info->Count) return null;
                    byte* cell = s_base + (offset - inBlock) + k * info->CellSize;
                    return *(nuint*)cell != 0 ? cell : null;
                }
                case KindLarge:
                case KindLargeTail:
                {
                    byte* start = BlockAddress(info->Start);
                    return *(nuint*)start != 0 ? start : null;
                }
                default:
                    return null;
            }
        }

        internal static nuint ObjectSize(byte* o)
        {
            MethodTable* mt = *(MethodTable**)o;
            nuint size = mt->BaseSize;
            if (mt->HasComponentSize) size += (nuint)mt->ComponentSize * *(uint*)(o + 8);
            return (size + 7) & ~(nuint)7;
        }
    }
}
