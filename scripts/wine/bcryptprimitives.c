/*
 * bcryptprimitives.dll for Wine 8, which lacks ProcessPrng (Go 1.24 and
 * later take all their randomness from it and cannot start without it).
 * This stand-in is used only to run tokenctl.exe and its Windows tests
 * under Wine in CI; it is never shipped. It forwards to RtlGenRandom
 * (advapi32's SystemFunction036), Wine's own CSPRNG entry point.
 *
 * Build: x86_64-w64-mingw32-gcc -shared -O2 -s -o bcryptprimitives.dll \
 *        bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size)
{
	while (size > 0) {
		ULONG n = size > 0x40000000 ? 0x40000000 : (ULONG)size;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		size -= n;
	}
	return TRUE;
}
