#include <stdio.h>
int main(void)
{
    puts("hull-runtime " HULL_VERSION);
    return 0;
}
