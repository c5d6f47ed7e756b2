using System;

namespace Internal.Runtime
{
    // The sweep phase: every unmarked object's memory becomes free. A small block with no marked cell
    // returns to the free blocks (zeroed when taken again); otherwise its dead cells are zeroed and
    // threaded, with the cells that were already free, into its size class's free list (the cell's
    // first word, the MethodTable slot, stays 0 in a free cell: that is how a conservative root tells
    // a free cell from an object). A large object's blocks are freed whole.
    internal static unsafe class GcSweep
    {
        internal static ulong s_liveBytes;

        internal static void Sweep()
        {
            for (int c = 0; c < GcHeap.ClassCountInUse; c++) GcHeap.FreeList(c) = 0;
            ulong live = 0;
            for (nuint i = 0; i < GcHeap.s_highWater; i++)
            {
                GcHeap.Block* info = GcHeap.s_blocks + i;
                if (info->Kind == GcHeap.KindSmall) live += SweepSmall(i, info);
                else if (info->Kind == GcHeap.KindLarge)
                {
                    byte* o = GcHeap.BlockAddress(i);
                    nuint n = info->Count;
                    if (GcMark.IsMarked(o)) { live += GcHeap.ObjectSize(o); i += n - 1; continue; }
                    for (nuint k = 0; k < n; k++) FreeBlock(i + k);
                    i += n - 1;
                }
            }
            s_liveBytes = live;
            GcHeap.ResetFreeBlockSearch();
        }

        private static void FreeBlock(nuint index)
        {
            GcHeap.Block* info = GcHeap.s_blocks + index;
            *info = default;
            info->Dirty = 1;
            GcHeap.s_blocksInUse--;
        }

        private static ulong SweepSmall(nuint index, GcHeap.Block* info)
        {
            byte* b = GcHeap.BlockAddress(index);
            // No mark bit in the block: nothing in it survives.
            ulong* words = GcHeap.s_marks + (index << GcHeap.BlockShift >> 9);
            ulong any = 0;
            for (int w = 0; w < (int)(GcHeap.BlockSize / 512); w++) any |= words[w];
            if (any == 0) { FreeBlock(index); return 0; }

            uint cellSize = info->CellSize;
            byte* head = null;
            byte* tail = null;
            ulong live = 0;
            for (uint k = info->Count; k > 0; k--)
            {
                byte* cell = b + (k - 1) * cellSize;
                if (*(nuint*)cell != 0)
                {
                    if (GcMark.IsMarked(cell)) { live += cellSize; continue; }
                    Native.Memset(cell, 0, cellSize);
                }
                *(byte**)(cell + 8) = head;
                head = cell;
                if (tail == null) tail = cell;
            }
            if (head != null)
            {
                ref ulong list = ref GcHeap.FreeList(info->SizeClass);
                *(ulong*)(tail + 8) = list;
                list = (ulong)head;
            }
            return live;
        }
    }
}
