print("isr-relay")
