mod hash;
